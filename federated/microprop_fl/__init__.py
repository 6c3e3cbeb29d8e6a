"""A fleet learns together: federated averaging on Flower with microprop clients.

- `data`: the bundled 8x8 digits, the firmware's train/test split and the
  non-IID shards (two classes per client).
- `permutation`: microprop's storage-free shuffle, bit for bit.
- `flash`: the device's two-slot checkpoint store (`microprop::checkpoint::Store`)
  in a flash image file.
- `device`: the simulated device (`microprop-sim simulate`) as a client: the
  gateway that writes the server's checkpoint into its flash and reads its own
  back.
- `client_app`, `server_app`: the Flower `ClientApp` and `ServerApp` (FedAvg).
- `baselines`: the centralised run and the clients trained alone.
- `run`: the whole experiment, written to a JSON file; `render`: the README
  table and the figure from that file.
"""
