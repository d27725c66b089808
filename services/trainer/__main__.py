"""`python -m services.trainer` runs the trainer service; `python -m services.trainer worker` runs one
standalone job worker (as many as wanted, on any machine that reaches the database)."""

import sys

from services.mesh.main import main
from services.trainer.jobs import worker
from services.trainer.service import DEFINITION

if sys.argv[1:2] == ["worker"]:
    worker.main()
else:
    main(DEFINITION)
