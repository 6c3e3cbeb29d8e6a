"""The experiment's settings, in one place."""

from dataclasses import asdict, dataclass, field


@dataclass
class Plan:
    """What `run` simulates. The defaults are the README's run."""

    clients: int = 100
    rounds: int = 50
    local_steps: int = 10  # SGD steps per client and round
    batch_size: int = 8
    lr: float = 0.1
    seed: int = 2024  # shards and shuffles
    device_partition: int = 0  # the simulated device's partition (-1: none)
    device_dir: str = ""
    simulator: str = ""
    extra: dict = field(default_factory=dict)

    def train_config(self):
        """The `ConfigRecord` contents every train message carries."""
        return {
            "lr": float(self.lr),
            "batch-size": int(self.batch_size),
            "local-steps": int(self.local_steps),
            "seed": int(self.seed),
            "device-partition": int(self.device_partition),
            "device-dir": str(self.device_dir),
            "simulator": str(self.simulator),
        }

    def as_dict(self):
        d = asdict(self)
        d.pop("extra")
        return d
