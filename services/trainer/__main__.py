from services.mesh.main import main
from services.trainer.service import DEFINITION

main(DEFINITION)
