from services.gateway.service import DEFINITION
from services.mesh.main import main

main(DEFINITION)
