"""Building models: layer lists, shapes, optimizers and their settings."""

import copy
import pickle

import numpy as np
import pytest

import microprop as mp

DIGITS = [64, (32, "tanh"), (10, "identity")]


def test_module():
    assert mp.__version__
    assert issubclass(mp.MicropropError, ValueError)
    assert mp.CHECKPOINT_FORMAT_VERSION == 2
    assert "run-time dispatch" in mp.kernels() or "built-in" in mp.kernels()
    assert "Permutation" in mp.Model.fit.__doc__


def test_shapes_and_layers():
    layers = [64, (24, "leaky_relu", 0.2), (16, "elu"), (8, "maxout", 3), (10, "identity")]
    model = mp.Model(layers, loss="softmax_cross_entropy")
    assert (model.inputs, model.outputs) == (64, 10)
    assert model.layers == [64, (24, "leaky_relu", 0.2), (16, "elu", 1.0),
                            (8, "maxout", 3), (10, "identity")]
    assert model.weight_shapes() == [(64, 24), (24,), (24, 16), (16,),
                                     (8, 3, 16), (8, 3), (8, 10), (10,)]
    weights = model.get_weights()
    assert [w.shape for w in weights] == model.weight_shapes()
    assert all(w.dtype == np.float32 for w in weights)
    assert model.param_count == sum(w.size for w in weights) == model.get_params().size
    np.testing.assert_array_equal(np.concatenate([w.ravel() for w in weights]), model.get_params())
    # Biases start at zero, weights do not.
    assert all(not b.any() for b in weights[1::2])
    assert all(w.any() for w in weights[0::2])
    # The layer list reads back into the same model.
    again = mp.Model(model.layers, loss="softmax_cross_entropy")
    assert again.to_bytes() == model.to_bytes()


def test_plain_int_layer_is_identity_and_lists_work():
    a = mp.Model([4, [8, "relu"], 3], loss="mse", seed=1)
    b = mp.Model([4, (8, "relu"), (3, "identity")], loss="mse", seed=1)
    assert a.to_bytes() == b.to_bytes()


def test_predict_and_classify_shapes(digits):
    x, _ = digits
    model = mp.Model(DIGITS, loss="softmax_cross_entropy", seed=1)
    out = model.predict(x[:7])
    assert out.shape == (7, 10) and out.dtype == np.float32
    one = model.predict(x[3])
    assert one.shape == (10,)
    np.testing.assert_array_equal(one, out[3])
    classes = model.classify(x[:7])
    assert classes.shape == (7,) and classes.dtype == np.int64
    np.testing.assert_array_equal(classes, out.argmax(axis=1))
    assert model.classify(x[3]) == classes[3]
    # More rows than one forward chunk (256).
    assert model.predict(x).shape == (len(x), 10)


def test_predict_matches_numpy_forward(digits):
    x, _ = digits
    model = mp.Model([64, (32, "tanh"), (10, "identity")], loss="mse", seed=5)
    w0, b0, w1, b1 = model.get_weights()
    expected = np.tanh(x[:50] @ w0 + b0) @ w1 + b1
    np.testing.assert_allclose(model.predict(x[:50]), expected, rtol=1e-5, atol=1e-5)


def test_non_contiguous_input_is_read_correctly(digits):
    x, _ = digits
    model = mp.Model(DIGITS, loss="softmax_cross_entropy", seed=1)
    fortran = np.asfortranarray(x[:20])
    strided = np.repeat(x[:20], 2, axis=0)[::2]
    np.testing.assert_array_equal(model.predict(fortran), model.predict(x[:20]))
    np.testing.assert_array_equal(model.predict(strided), model.predict(x[:20]))


def test_init_schemes_and_seeds():
    a = mp.Model(DIGITS, loss="mse", seed=1)
    b = mp.Model(DIGITS, loss="mse", seed=2)
    assert a.to_bytes() != b.to_bytes()
    b.init(1)
    assert a.to_bytes() == b.to_bytes()
    for scheme in ["xavier", "glorot_uniform", "glorot_normal", "he_normal", "he_uniform",
                   ("normal", 0.0, 0.1), ("uniform", 0.05)]:
        b.init(3, scheme)
    b.init(0, ("constant", 0.25))
    assert all((w == 0.25).all() for w in b.get_weights()[0::2])
    with pytest.raises(ValueError, match="unknown initialisation"):
        b.init(0, "lecun")
    with pytest.raises(ValueError):
        b.init(0, ("normal", 0.0))


def test_bad_layer_lists():
    with pytest.raises(mp.MicropropError, match="layer 0"):
        mp.Model([0, (3, "tanh")], loss="mse")
    with pytest.raises(mp.MicropropError, match="layer 1"):
        mp.Model([4, (3, "tanh"), (0, "identity")], loss="mse")
    with pytest.raises(mp.MicropropError, match="layer 0"):
        mp.Model([4, (3, "maxout", 300)], loss="mse")
    with pytest.raises(mp.MicropropError):
        mp.Model([4, (3, "leaky_relu", -1.0)], loss="mse")
    with pytest.raises(ValueError, match="unknown activation"):
        mp.Model([4, (3, "swish")], loss="mse")
    with pytest.raises(ValueError, match="takes no setting"):
        mp.Model([4, (3, "tanh", 0.5)], loss="mse")
    with pytest.raises(ValueError, match="empty"):
        mp.Model([], loss="mse")
    with pytest.raises(TypeError):
        mp.Model("64,10", loss="mse")
    with pytest.raises(TypeError):
        mp.Model([4, (3, "tanh", 1, 2)], loss="mse")
    with pytest.raises(ValueError, match="unknown loss"):
        mp.Model([4, 3], loss="hinge")
    # The fused losses take logits: a softmax output would apply it twice.
    with pytest.raises(mp.MicropropError, match="identity output"):
        mp.Model([4, (3, "softmax")], loss="softmax_cross_entropy")
    with pytest.raises(mp.MicropropError, match="identity output"):
        mp.Model([4, (1, "sigmoid")], loss="sigmoid_bce")
    with pytest.raises(mp.MicropropError, match="identity output"):
        mp.Model([4, (3, "softmax")], loss="soft_target_cross_entropy")
    # The loss on probabilities takes a sigmoid output.
    with pytest.raises(mp.MicropropError, match="sigmoid output"):
        mp.Model([4, (1, "identity")], loss="binary_cross_entropy")


def test_optimizers_defaults_and_validation():
    adam = mp.Adam()
    assert (adam.beta1, adam.beta2, adam.eps, adam.weight_decay, adam.decoupled) == \
        (0.9, 0.999, 1e-8, 0.0, False)
    assert mp.AdamW().decoupled and mp.AdamW().weight_decay == 0.01
    assert mp.AdaGrad().eps == 1e-10
    assert (mp.RMSprop().alpha, mp.RMSprop().eps) == (0.99, 1e-8)
    assert mp.RMSprop(epsilon="inside").epsilon == "inside"
    assert mp.Momentum().momentum == 0.9 and not mp.Momentum().nesterov
    assert mp.SGD().weight_decay == 0.0 and mp.SGD(weight_decay=0.5).weight_decay == 0.5
    assert mp.AdaGrad().initial_accumulator_value == 0.0
    with pytest.raises(ValueError, match="weight_decay"):
        mp.SGD(weight_decay=-0.1)
    with pytest.raises(ValueError, match="initial_accumulator_value"):
        mp.AdaGrad(initial_accumulator_value=-1.0)
    for opt in [mp.SGD(), mp.SGD(weight_decay=0.001), mp.Momentum(0.8, nesterov=True, weight_decay=0.1),
                mp.AdaGrad(), mp.AdaGrad(initial_accumulator_value=0.25),
                mp.RMSprop(alpha=0.9), mp.Adam(beta1=0.8), mp.AdamW(0.02)]:
        assert eval(repr(opt), vars(mp)) == opt
        assert pickle.loads(pickle.dumps(opt)) == opt
    with pytest.raises(mp.MicropropError):
        mp.Adam(beta1=1.0)
    with pytest.raises(mp.MicropropError):
        mp.Adam(eps=0.0)
    with pytest.raises(ValueError):
        mp.RMSprop(alpha=1.5)
    with pytest.raises(ValueError):
        mp.AdaGrad(eps=-1.0)
    with pytest.raises(ValueError):
        mp.Momentum(momentum=float("nan"))
    with pytest.raises(ValueError, match="epsilon"):
        mp.Adam(epsilon="between")
    with pytest.raises(TypeError, match="optimizer must be"):
        mp.Model(DIGITS, loss="mse", optimizer="adam")


def test_optimizer_state_sizes_and_switching(digits):
    x, y = digits
    model = mp.Model(DIGITS, loss="softmax_cross_entropy", optimizer=mp.Adam(), seed=1)
    assert model.optimizer_state.size == 2 * model.param_count
    model.fit(x[:100], y[:100], lr=0.01, batch_size=10)
    assert model.steps == 10 and model.optimizer_state.any()
    # Same kind, other hyperparameters: the state carries over.
    model.optimizer = mp.Adam(beta1=0.8)
    assert model.steps == 10 and model.optimizer.beta1 == 0.8
    # Another kind: a fresh state.
    model.optimizer = mp.Momentum()
    assert model.steps == 0 and model.optimizer_state.size == model.param_count
    assert not model.optimizer_state.any()
    model.optimizer = mp.SGD()
    assert model.optimizer_state.size == 0
    model.fit(x[:100], y[:100], lr=0.01, batch_size=10)
    model.reset_optimizer()
    assert model.steps == 0


def test_copy_and_pickle(digits):
    x, y = digits
    model = mp.Model(DIGITS, loss="softmax_cross_entropy", optimizer=mp.Adam(), seed=1)
    model.fit(x[:64], y[:64], lr=0.01, batch_size=16)
    for clone in [model.copy(), copy.copy(model), copy.deepcopy(model),
                  pickle.loads(pickle.dumps(model))]:
        assert clone.to_bytes(training=True) == model.to_bytes(training=True)
        assert clone.optimizer == model.optimizer and clone.loss == model.loss
    clone = model.copy()
    clone.fit(x[:64], y[:64], lr=0.01, batch_size=16)
    assert clone.to_bytes() != model.to_bytes()
    assert "Model([64, (32, 'tanh'), (10, 'identity')]" in repr(model)
