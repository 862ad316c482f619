"""Unit tests of book.state_tracking: chapter 9's tasks, the Keras minLSTM layer (against the
NumPy minLSTM of book.minlstm) and the side-by-side training of independent networks."""

from __future__ import annotations

import numpy as np
import pytest

from book.minlstm import minlstm_forward
from book.state_tracking import (
    Branch,
    accuracy_by_position,
    bit_transitions,
    min_lstm_layer_class,
    parity_flippers,
    parity_streams,
    recent_parity_streams,
    side_by_side,
    train_side_by_side,
)


def test_parity_streams():
    x, y = parity_streams(50, 30, seed=0)
    assert x.shape == y.shape == (50, 30, 1) and x.dtype == y.dtype == np.float32
    assert set(np.unique(x)) == {0.0, 1.0}
    bits = x[..., 0].astype(int)
    for n in range(5):
        for t in range(30):
            assert y[n, t, 0] == bits[n, : t + 1].sum() % 2
    # another seed, other streams; the same seed, the same streams
    assert not np.array_equal(x, parity_streams(50, 30, seed=1)[0])
    assert np.array_equal(x, parity_streams(50, 30, seed=0)[0])


@pytest.mark.parametrize("window", [1, 2, 3, 40])
def test_recent_parity_streams(window):
    x, y = recent_parity_streams(20, 25, seed=3, window=window)
    assert np.array_equal(x, parity_streams(20, 25, seed=3)[0])  # the same streams as parity
    bits = x[..., 0].astype(int)
    for n in range(20):
        for t in range(25):
            assert y[n, t, 0] == bits[n, max(0, t - window + 1) : t + 1].sum() % 2
    if window >= 25:  # a window as long as the stream is the running parity
        assert np.array_equal(y, parity_streams(20, 25, seed=3)[1])


def test_streams_refuse_bad_sizes():
    with pytest.raises(ValueError, match="n >= 1 and steps >= 1"):
        parity_streams(0, 5, seed=0)
    with pytest.raises(ValueError, match="window must be at least 1"):
        recent_parity_streams(3, 5, seed=0, window=0)


@pytest.mark.parametrize("steps", [1, 2, 7, 16, 33])
def test_keras_minlstm_matches_numpy(keras_modules, steps):
    """The Keras layer's scan computes book.minlstm's recurrence, for lengths that are and are
    not powers of two, traced with the length known and with it unknown (None)."""
    _, keras = keras_modules
    layer = min_lstm_layer_class()(5, max_length=64, seed=1)
    x = np.random.default_rng(steps).normal(size=(3, steps, 2)).astype("float32")
    layer.build((None, None, 2))
    rng = np.random.default_rng(0)
    kernel, bias = rng.normal(size=(2, 15)), rng.normal(size=15)
    layer.set_weights([kernel.astype("float32"), bias.astype("float32")])
    expected = minlstm_forward(x, kernel, bias, method="loop")
    eager = np.asarray(layer(x))
    assert np.abs(eager - expected).max() < 1e-5
    model = keras.Sequential([keras.Input((None, 2)), layer])  # time unknown when traced
    assert np.abs(model.predict(x, verbose=0) - expected).max() < 1e-5
    assert np.abs(expected).max() > 0.1


@pytest.mark.parametrize("steps", [1, 7, 16])
def test_signed_minlstm_turns_its_state_over(keras_modules, steps):
    """``signed=True``: the transition is 2 f' - 1 (between -1 and 1), the rest the minLSTM's;
    the layer's scan matches book.minlstm's loop run on those coefficients."""
    from book.minlstm import linear_recurrence_loop, minlstm_coefficients

    layer = min_lstm_layer_class()(5, max_length=64, seed=1, signed=True)
    layer.build((None, None, 2))
    rng = np.random.default_rng(steps)
    x = rng.normal(size=(3, steps, 2)).astype("float32")
    kernel, bias = rng.normal(size=(2, 15)), rng.normal(size=15)
    layer.set_weights([kernel.astype("float32"), bias.astype("float32")])
    a, b = minlstm_coefficients(x, kernel, bias)
    signed = 2 * a - 1
    assert signed.min() < 0 < signed.max() and np.abs(signed).max() < 1
    expected = linear_recurrence_loop(signed, b)
    assert np.abs(np.asarray(layer(x)) - expected).max() < 1e-5
    model = keras_modules[1].Sequential([keras_modules[1].Input((None, 2)), layer])
    assert np.abs(model.predict(x, verbose=0) - expected).max() < 1e-5
    assert layer.get_config()["signed"] is True


def test_bit_transitions_are_the_layers_own(keras_modules):
    """bit_transitions: a (2, units) array per minLSTM branch of a side-by-side model, the LSTM
    left out; each row is the a_t the Keras layer applies after a 0 and after a 1, read back
    from the layer's states (h_2 = a(x_2) h_1 + b(x_2), h_0 = 0)."""
    branches = [
        Branch("minLSTM", 4, "parity", 0),
        Branch("LSTM", 4, "parity", 1),
        Branch("signedMinLSTM", 4, "parity", 2),
    ]
    model = side_by_side(branches, head_units=3, max_length=8)
    rng = np.random.default_rng(5)
    found = bit_transitions(model, branches)
    assert list(found) == [branches[0].name, branches[2].name]
    assert np.allclose(found[branches[0].name][0], 0.5) and np.allclose(found[branches[2].name][0], 0)
    for branch in (branches[0], branches[2]):  # away from the initial zero biases
        layer = model.get_layer(f"{branch.name}_recurrent")
        layer.set_weights([rng.normal(size=w.shape).astype("float32") for w in layer.get_weights()])
    found = bit_transitions(model, branches)

    def states(layer, bits):
        return np.asarray(layer(np.array([[[b] for b in bits]], dtype="float32")))[0]

    for branch in (branches[0], branches[2]):
        layer, a = model.get_layer(f"{branch.name}_recurrent"), found[branch.name]
        assert a.shape == (2, 4)
        h1 = states(layer, [1])[0]
        read = [(states(layer, [1, bit])[1] - states(layer, [bit])[0]) / h1 for bit in (0, 1)]
        assert np.abs(np.array(read) - a).max() < 1e-4
    unsigned, signed = found[branches[0].name], found[branches[2].name]
    assert 0 < unsigned.min() and unsigned.max() < 1  # f' between 0 and 1
    assert signed.min() < 0 < signed.max() and np.abs(signed).max() < 1  # 2 f' - 1


def test_parity_flippers_keep_at_a_zero_and_turn_over_at_a_one():
    a = np.array([[0.9, 0.9, -0.9, 0.5, 0.6], [-0.9, 0.9, 0.9, -0.9, -0.51]])
    assert parity_flippers(a).tolist() == [True, False, False, False, True]


def test_branches_train_independently(keras_modules):
    """Training networks side by side moves each exactly as training it alone would."""
    x, y = parity_streams(64, 6, seed=0)
    targets = {"parity": y, "recent": recent_parity_streams(64, 6, seed=0)[1]}
    lstm, mini = Branch("LSTM", 4, "parity", 0), Branch("minLSTM", 4, "recent", 1)
    together = side_by_side([lstm, mini], head_units=3, max_length=8)
    train_side_by_side(together, [lstm, mini], x, targets, epochs=2, batch_size=16, learning_rate=1e-2)
    for branch in (lstm, mini):
        alone = side_by_side([branch], head_units=3, max_length=8)
        train_side_by_side(alone, [branch], x, targets, epochs=2, batch_size=16, learning_rate=1e-2)
        got = accuracy_by_position(together, [lstm, mini], x, targets)[branch.name]
        want = accuracy_by_position(alone, [branch], x, targets)[branch.name]
        assert got.shape == (6,) and np.array_equal(got, want)
        w_alone = [w for layer in alone.layers[1:] for w in layer.get_weights()]
        names = {lstm.name: 0, mini.name: 1}
        w_together = [
            w
            for layer in together.layers[1:]
            if _branch_of(together, layer) == names[branch.name]
            for w in layer.get_weights()
        ]
        assert len(w_alone) == len(w_together)
        for a, b in zip(w_alone, w_together, strict=True):
            assert np.allclose(a, b, atol=1e-6)


def _branch_of(model, layer):
    """Which output a layer feeds (0 or 1), following the graph forward."""
    for i, name in enumerate(model.output_names):
        node = model.get_layer(name)
        seen = node
        while True:
            if seen is layer:
                return i
            inbound = seen._inbound_nodes[0].input_tensors
            parent = inbound[0]._keras_history.operation
            if parent.name == "streams":
                break
            seen = parent
    return None


def test_side_by_side_checks():
    b = Branch("LSTM", 2, "parity", 0)
    with pytest.raises(ValueError, match="share a name"):
        side_by_side([b, b])
    with pytest.raises(ValueError, match="kind must be"):
        side_by_side([Branch("GRU", 2, "parity", 0)])
    model = side_by_side([b])
    x, y = parity_streams(4, 3, seed=0)
    with pytest.raises(ValueError, match=r"no entry for task\(s\) \['parity'\]"):
        train_side_by_side(model, [b], x, {"recent": y}, epochs=1)
