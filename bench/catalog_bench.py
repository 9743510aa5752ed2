"""State transitions per ticket on the catalog's routes (licence key, document request, change request), one
line per way a ticket can go; `TZ=UTC .venv/bin/python bench/catalog_bench.py` (`make bench` reports the same)."""

from __future__ import annotations

import json
import sys

import route_bench
import run  # sets up the environment exactly as `make bench` does
from scenario import wait_for


def main() -> int:
    results = route_bench.measure_catalog(run.Api, wait_for)
    for path, found in results.items():
        print(f"{path:42} {found['state_transitions']:3}  {' > '.join(found['states'])}")
    print(json.dumps({path: found["state_transitions"] for path, found in results.items()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
