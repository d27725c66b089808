from services.mesh.main import main
from services.predictor.service import DEFINITION

main(DEFINITION)
