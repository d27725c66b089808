"""`python -m services.mesh.devstack`: what `make run` and `alphintra run` start."""

from services.mesh.devstack.supervisor import main

if __name__ == "__main__":
    raise SystemExit(main())
