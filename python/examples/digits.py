"""Train the 8x8 digits classifier from Python, as the Rust demo does.

    target/python-venv/bin/python python/examples/digits.py

Reads data/digits8x8.csv, holds out every fifth row, trains a 64-32-10
tanh network with Adam, and prints the test loss and accuracy, the
parameter shapes and the checkpoint size.
"""

from pathlib import Path

import numpy as np

import microprop as mp

table = np.loadtxt(Path(__file__).resolve().parents[2] / "data" / "digits8x8.csv",
                   delimiter=",", skiprows=1)
x = (table[:, :-1] / 16.0).astype(np.float32)
y = table[:, -1].astype(np.int64)
test = np.arange(len(x)) % 5 == 0
x_train, y_train, x_test, y_test = x[~test], y[~test], x[test], y[test]

model = mp.Model([64, (32, "tanh"), (10, "identity")],
                 loss="softmax_cross_entropy", optimizer=mp.Adam(), seed=7)
print(model)
print("kernels:", mp.kernels())
report = model.fit(x_train, y_train, lr=0.01, batch_size=16, epochs=10, shuffle_seed=1)
print("train loss per epoch:", " ".join(f"{loss:.4f}" for loss in report["loss"]))
print("test:", model.evaluate(x_test, y_test))
print("weights:", [w.shape for w in model.get_weights()])
print("checkpoint:", len(model.to_bytes()), "bytes")
