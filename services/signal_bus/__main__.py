from services.mesh.main import main
from services.signal_bus.service import DEFINITION

main(DEFINITION)
