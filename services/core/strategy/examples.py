"""Write the templates as example workflow files: `python -m services.core.strategy.examples examples`.

A module of its own (not imported by the package) so that `python -m` runs it cleanly.
"""

from __future__ import annotations

import sys
from pathlib import Path

from services.core.strategy.templates import write_examples


def main(argv: list[str] | None = None) -> None:
    arguments = sys.argv[1:] if argv is None else argv
    for path in write_examples(Path(arguments[0] if arguments else "examples")):
        print(path)


if __name__ == "__main__":
    main()
