"""The load tests run only when asked for (`make load`, i.e. `pytest -m load tests/load`): a plain
`pytest` skips them with the reason, so nobody starts minutes of load by accident."""

from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if "load" in (config.option.markexpr or "").replace("not load", ""):
        return
    skip = pytest.mark.skip(reason="load test: run it with `make load` (pytest -m load tests/load)")
    for item in items:
        if HERE in Path(str(item.fspath)).resolve().parents:
            item.add_marker(skip)
