import numpy as np
import pytest

from book.metrics import mse


def test_mse_averages_squared_errors():
    assert mse(np.array([[1.0, 2.0]]), np.array([[0.0, 0.0]])) == pytest.approx(2.5)
    assert mse(np.zeros(3), np.zeros(3)) == 0.0


def test_mse_refuses_to_broadcast():
    with pytest.raises(ValueError, match=r"\(3, 1\).*\(3,\)"):
        mse(np.zeros((3, 1)), np.zeros(3))
