"""Head-only fine-tuning: a frozen `Backbone` and a head `Model` trained on its features.

The head's run is compared byte for byte with the plain-Rust reference
(python/reference with --backbone: `dynamic::Backbone` computes each
batch's features before the head's step, as a device does), the features
with a model of the same layers, and the backbone is shown to stay as it
was whatever trains on it.
"""

import copy
import pickle

import numpy as np
import pytest

import microprop as mp
from conftest import reference_run, state_of

DIGITS = [64, (32, "tanh"), (10, "identity")]


def bits(a):
    return np.ascontiguousarray(a, dtype=np.float32).view(np.uint32)


@pytest.fixture(scope="module")
def pretrained(digits):
    x, y = digits
    model = mp.Model([64, (24, "tanh"), (16, "maxout", 3), (10, "identity")],
                     loss="softmax_cross_entropy", optimizer=mp.Adam(), seed=5)
    model.fit(x[:900], y[:900], lr=0.01, batch_size=32, epochs=2, shuffle_seed=1)
    return model


# (id, backbone depth, reference backbone, head layers for the reference,
#  optimizer, reference optimizer, fit keywords)
CASES = [
    ("tanh-front-adam-shuffled", 1, "64,24:tanh", "24,16:maxout:3,10:identity",
     mp.Adam(), "adam", dict(lr=0.005, batch_size=16, epochs=2, shuffle_seed=4)),
    ("tanh-maxout-front-nesterov-steps", 2, "64,24:tanh,16:maxout:3", "16,10:identity",
     mp.Momentum(0.9, nesterov=True), "nesterov:0.9",
     dict(lr=0.05, batch_size=7, steps=120, shuffle_seed=9)),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_head_on_a_backbone_matches_rust(case, pretrained, digits, tmp_path):
    _, depth, ref_backbone, ref_head, optimizer, ref_optimizer, fit = case
    x, y = digits
    x_new, y_new = x[900:], y[900:]
    backbone = mp.Backbone.from_model(pretrained, layers=depth)
    head_layers = [backbone.outputs] + pretrained.layers[1 + depth:]
    head = mp.Model(head_layers, loss="softmax_cross_entropy", optimizer=optimizer, seed=8)
    # The bindings: every row's features at once, then an ordinary fit.
    head.fit(backbone.features(x_new), y_new, **fit)
    expected = reference_run(
        tmp_path, x_new, y_new, layers=ref_head, loss="softmax_cross_entropy",
        optimizer=ref_optimizer, lr=fit["lr"], batch=fit["batch_size"], seed=8,
        epochs=fit.get("epochs"), steps=fit.get("steps"), shuffle=fit.get("shuffle_seed"),
        backbone=ref_backbone, backbone_params=backbone.get_params())
    assert head.to_bytes(training=True) == expected
    # The comparison can fail: one step more is other bytes.
    head.fit(backbone.features(x_new[:7]), y_new[:7], lr=fit["lr"], batch_size=7)
    assert head.to_bytes(training=True) != expected


def test_features_are_the_outputs_of_a_model_of_the_same_layers(pretrained, digits):
    x, _ = digits
    for depth in (1, 2, 3):
        backbone = mp.Backbone.from_model(pretrained, layers=depth)
        same = mp.Model(pretrained.layers[:1 + depth], loss="mse")
        same.set_weights(pretrained.get_weights()[:2 * depth])
        features = backbone.features(x)
        assert features.shape == (len(x), backbone.outputs) and features.dtype == np.float32
        assert np.array_equal(bits(features), bits(same.predict(x)))
        one = backbone.features(x[5])
        assert one.shape == (backbone.outputs,)
        assert np.array_equal(bits(one), bits(features[5]))
    # The whole pretrained network as a backbone is its predict.
    assert np.array_equal(bits(backbone.features(x)), bits(pretrained.predict(x)))


def test_built_from_arrays_a_flat_array_or_a_model(pretrained, digits):
    x, _ = digits
    front = [64, (24, "tanh"), (16, "maxout", 3)]
    a = mp.Backbone.from_model(pretrained, layers=2)
    b = mp.Backbone(front, pretrained.get_weights()[:4])
    c = mp.Backbone(front, a.get_params())
    assert a.layers == b.layers == c.layers == front
    assert a.inputs == 64 and a.outputs == 16
    assert a.param_count == 65 * 24 + 25 * 16 * 3 == len(a.get_params())
    assert [w.shape for w in a.get_weights()] == a.weight_shapes() == \
        [(64, 24), (24,), (16, 3, 24), (16, 3)]
    for other in (b, c):
        assert np.array_equal(bits(other.get_params()), bits(a.get_params()))
        assert np.array_equal(bits(other.features(x)), bits(a.features(x)))
    assert "Backbone([64, (24, 'tanh'), (16, 'maxout', 3)]" in repr(a)


def test_the_backbone_never_changes(pretrained, digits):
    x, y = digits
    model = pretrained.copy()
    weights = model.get_weights()[:2]
    flat = np.concatenate([w.ravel() for w in weights])
    backbone = mp.Backbone(model.layers[:2], flat)
    params = backbone.get_params()
    features = backbone.features(x)

    # A head trains on its features: the backbone is as it was.
    head = mp.Model([24, (10, "identity")], loss="softmax_cross_entropy",
                    optimizer=mp.Adam(), seed=2)
    for epoch in range(3):
        head.fit(backbone.features(x), y, lr=0.01, batch_size=32, epochs=1,
                 shuffle_seed=epoch)
    assert head.steps > 0
    # Neither the arrays it was built from, nor those it returned, nor the
    # model it came from reach it.
    flat[:] = 0
    weights[0][:] = 0
    backbone.get_params()[:] = 0
    backbone.get_weights()[0][:] = 0
    from_model = mp.Backbone.from_model(model, layers=1)
    model.fit(x, y, lr=0.1, batch_size=32, epochs=1)
    assert not np.array_equal(bits(model.get_params()[:len(params)]), bits(params))
    for b in (backbone, from_model):
        assert np.array_equal(bits(b.get_params()), bits(params))
        assert np.array_equal(bits(b.features(x)), bits(features))
    # It has no way to be written.
    with pytest.raises(AttributeError):
        backbone.params = flat
    with pytest.raises(AttributeError):
        backbone.set_params(flat)


def test_pickle_and_copy(pretrained, digits):
    x, _ = digits
    backbone = mp.Backbone.from_model(pretrained, layers=2)
    for other in (pickle.loads(pickle.dumps(backbone)), copy.deepcopy(backbone)):
        assert other.layers == backbone.layers
        assert np.array_equal(bits(other.features(x)), bits(backbone.features(x)))


def test_bad_input_is_refused(pretrained, digits):
    x, _ = digits
    backbone = mp.Backbone.from_model(pretrained, layers=1)
    before = backbone.get_params()
    with pytest.raises(TypeError, match="float32"):
        backbone.features(x.astype(np.float64))
    with pytest.raises(TypeError, match="numpy.ndarray"):
        backbone.features(x.tolist())
    with pytest.raises(ValueError, match=r"shape \(1797, 63\)"):
        backbone.features(x[:, :63])
    with pytest.raises(ValueError, match="shape"):
        backbone.features(x.reshape(1797, 8, 8))
    nan = x.copy()
    nan[57, 3] = np.nan
    with pytest.raises(mp.MicropropError, match="input row 57 is not finite"):
        backbone.features(nan)
    inf = x[3].copy()
    inf[0] = np.inf
    with pytest.raises(mp.MicropropError, match="not finite"):
        backbone.features(inf)
    assert backbone.features(x[:0]).shape == (0, 24)
    assert np.array_equal(bits(backbone.get_params()), bits(before))

    front = [64, (24, "tanh")]
    weights = pretrained.get_weights()[:2]
    with pytest.raises(ValueError, match="1 arrays given; this backbone has 2"):
        mp.Backbone(front, weights[:1])
    with pytest.raises(ValueError, match=r"weights\[0\] has shape \(24, 64\)"):
        mp.Backbone(front, [weights[0].T.copy(), weights[1]])
    bad = [w.copy() for w in weights]
    bad[1][4] = np.nan
    with pytest.raises(mp.MicropropError, match=r"weights\[1\] holds a NaN"):
        mp.Backbone(front, bad)
    flat = np.concatenate([w.ravel() for w in weights])
    with pytest.raises(ValueError, match=r"params has shape \(1559,\); this backbone has \(1560,\)"):
        mp.Backbone(front, flat[:-1])
    with pytest.raises(TypeError, match="float32"):
        mp.Backbone(front, flat.astype(np.float64))
    flat[7] = np.inf
    with pytest.raises(mp.MicropropError, match="params holds a NaN or infinity"):
        mp.Backbone(front, flat)
    with pytest.raises(TypeError, match="list of numpy arrays"):
        mp.Backbone(front, 3)
    with pytest.raises(mp.MicropropError):
        mp.Backbone([64, (0, "tanh")], [])
    with pytest.raises(ValueError, match="unknown activation"):
        mp.Backbone([64, (24, "tanhh")], weights)
    for depth in (0, 4):
        with pytest.raises(ValueError, match="1 to 3 of this model's 3 layers"):
            mp.Backbone.from_model(pretrained, layers=depth)
    state = state_of(pretrained)
    mp.Backbone.from_model(pretrained, layers=2)
    assert state_of(pretrained) == state
