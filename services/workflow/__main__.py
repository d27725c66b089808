from services.mesh.main import main
from services.workflow.service import DEFINITION

main(DEFINITION)
