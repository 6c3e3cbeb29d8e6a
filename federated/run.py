"""Runs the federated experiment and writes its results.

    target/federated-venv/bin/python federated/run.py

Builds the simulated device (`cargo build --release -p microprop-sim`),
runs the fleet with Flower's simulation engine (Ray backend), then the
centralised and local-only baselines, writes everything to
`federated/results.json` and renders the README table and the figure from
it (`render.py`). `--quick` is the smoke run (10 clients, 3 rounds, into
target/federated/quick.json, nothing rendered).
"""

import argparse
import hashlib
import importlib.metadata
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from microprop_fl import baselines, client_app, data, server_app  # noqa: E402
from microprop_fl.plan import Plan  # noqa: E402

REPO = HERE.parent
RESULTS = HERE / "results.json"


def build_simulator():
    """`microprop-sim` (release), built by cargo if needed; its path."""
    subprocess.run(["cargo", "build", "--release", "--locked", "--quiet", "-p", "microprop-sim"],
                   cwd=REPO, check=True)
    return REPO / "target" / "release" / "microprop-sim"


def read_exchanges(path):
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def simulate(plan, cpus=2):
    """The fleet on Flower's simulation engine: what the server measured
    and the device's exchanges as its gateway logged them."""
    from flwr.simulation import run_simulation

    sink = {}
    started = time.perf_counter()
    run_simulation(
        server_app=server_app.make_app(plan, sink),
        client_app=client_app.app,
        num_supernodes=plan.clients,
        backend_config={"client_resources": {"num_cpus": 1, "num_gpus": 0.0},
                        "init_args": {"num_cpus": cpus}},
    )
    seconds = time.perf_counter() - started
    if "rounds" not in sink:
        raise SystemExit("the simulation did not finish (see Flower's log above)")
    exchanges = read_exchanges(Path(plan.device_dir) / "exchanges.jsonl")
    return sink, exchanges, seconds


def check_round_trips(exchanges, received):
    """Every checkpoint the device wrote reached the server byte for byte
    (same SHA-256, same length), one per round."""
    got = {(r["round"], r["sha256"], r["bytes"]) for r in received}
    return bool(exchanges) and len(exchanges) == len(received) and all(
        (e["round"], e["uplink_sha256"], e["uplink_bytes"]) in got for e in exchanges)


def versions():
    import microprop as mp

    return {"flwr": importlib.metadata.version("flwr"), "ray": importlib.metadata.version("ray"),
            "numpy": importlib.metadata.version("numpy"), "microprop": mp.__version__,
            "python": sys.version.split()[0]}


def run(plan, out, cpus=2):
    work = REPO / "target" / "federated" / out.stem
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    if plan.device_partition >= 0:
        plan.device_dir = str(work / "device")
        plan.simulator = str(build_simulator())
    sink, exchanges, seconds = simulate(plan, cpus)
    started = time.perf_counter()
    central = baselines.centralised(plan)
    local = baselines.local_only(plan)
    baseline_seconds = time.perf_counter() - started
    results = {
        "plan": plan.as_dict(),
        "data": {"train_rows": data.TRAIN_ROWS, "test_rows": data.TEST_ROWS,
                 "shard_rows": [len(s) for s in data.shards(plan.clients, plan.seed)],
                 "classes": data.class_pairs(plan.clients)},
        "fedavg": sink["rounds"],
        "final_parameters_sha256": hashlib.sha256(
            b"".join(a.astype("<f4").tobytes() for a in sink["final"])).hexdigest(),
        "centralised": central,
        "local_only": {**baselines.summary(local), "final": local[-1]},
        "device": {"partition": plan.device_partition, "exchanges": exchanges,
                   "received": sink["received"],
                   "uplinks_received_exactly": check_round_trips(exchanges, sink["received"])},
        "seconds": {"simulation": round(seconds, 1), "baselines": round(baseline_seconds, 1)},
        "versions": versions(),
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1) + "\n")
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=Plan.clients)
    parser.add_argument("--rounds", type=int, default=Plan.rounds)
    parser.add_argument("--local-steps", type=int, default=Plan.local_steps)
    parser.add_argument("--batch-size", type=int, default=Plan.batch_size)
    parser.add_argument("--lr", type=float, default=Plan.lr)
    parser.add_argument("--seed", type=int, default=Plan.seed)
    parser.add_argument("--device-partition", type=int, default=Plan.device_partition,
                        help="the simulated device's partition; -1: no device")
    parser.add_argument("--cpus", type=int, default=2, help="CPUs for Ray's client actors")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: 10 clients, 3 rounds, into target/federated/quick.json")
    parser.add_argument("--no-render", action="store_true")
    args = parser.parse_args(argv)
    if args.quick:
        args.clients, args.rounds = 10, 3
        args.out = REPO / "target" / "federated" / "quick.json"
        args.no_render = True
    if args.clients < 1 or args.rounds < 1 or not -1 <= args.device_partition < args.clients:
        parser.error("--clients and --rounds must be at least 1, --device-partition in -1..clients-1")
    plan = Plan(clients=args.clients, rounds=args.rounds, local_steps=args.local_steps,
                batch_size=args.batch_size, lr=args.lr, seed=args.seed,
                device_partition=args.device_partition)
    results = run(plan, args.out, args.cpus)
    fed, central = results["fedavg"], results["centralised"]
    local = results["local_only"]
    print(f"\nFedAvg, {plan.clients} clients: test accuracy {fed[-1]['accuracy']:.4f} after "
          f"{plan.rounds} rounds; centralised {central[-1]:.4f}; clients alone mean "
          f"{local['mean'][-1]:.4f} (min {local['min'][-1]:.4f}, max {local['max'][-1]:.4f})")
    print(f"device round trips exact: {results['device']['uplinks_received_exactly']} "
          f"({len(results['device']['exchanges'])} rounds); results: {args.out}")
    if not results["device"]["uplinks_received_exactly"] and plan.device_partition >= 0:
        raise SystemExit("a device checkpoint did not reach the server unchanged")
    if not args.no_render:
        import render

        render.main(["--results", str(args.out)])


if __name__ == "__main__":
    main()
