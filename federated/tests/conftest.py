"""Shared fixtures: the federated package on the path, and the simulated
device's binary (`microprop-sim`, built by cargo unless MICROPROP_SIM names
one)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

FEDERATED = Path(__file__).resolve().parents[1]
REPO = FEDERATED.parent
sys.path.insert(0, str(FEDERATED))


@pytest.fixture(scope="session")
def simulator():
    given = os.environ.get("MICROPROP_SIM")
    if given:
        return Path(given)
    subprocess.run(["cargo", "build", "--release", "--locked", "--quiet", "-p", "microprop-sim"],
                   cwd=REPO, check=True)
    return REPO / "target" / "release" / "microprop-sim"


@pytest.fixture(autouse=True)
def flower_task_identity():
    """Messages made outside a running app need the identity that Flower's
    runtime sets for the ServerApp (server/compat/app.py does the same)."""
    from flwr.common.constant import SUPERLINK_NODE_ID
    from flwr.supercore.task_identity import TaskIdentity

    TaskIdentity.task_id = 1
    TaskIdentity.run_id = 1
    TaskIdentity.node_id = SUPERLINK_NODE_ID
