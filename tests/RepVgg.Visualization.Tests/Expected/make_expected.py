"""Writes the expected text dumps that TensorTextTests compares with, byte for byte.

Run from this folder with NumPy (Debian's python3-numpy): python3 make_expected.py
The text is written exactly as the Python `via(arr)` helper writes it; the tensors are small and
spelled out here so that the C# tests build the same values (see TensorTextTests.cs).
"""
import numpy as np


def via_text(arr, path):
    # The via helper's text branch, unchanged: header, then np.savetxt per matrix.
    with open(path, 'w') as f:
        f.write('# Array shape: {0}\n'.format(arr.shape))
        if arr.ndim <= 2:
            np.savetxt(f, arr, fmt='%-7.3f')
        elif arr.ndim == 3:
            for i in range(arr.shape[0]):
                f.write('# {0}-th channel\n'.format(i))
                np.savetxt(f, arr[i], fmt='%-7.3f')
        else:
            for j in range(arr.shape[0]):
                f.write('\n\n# {0}-th Image\n'.format(j))
                for i in range(arr.shape[1]):
                    f.write('# {0}-th channel\n'.format(i))
                    np.savetxt(f, arr[j, i], fmt='%-7.3f')


def ramp(shape):
    """(k * 37 % 23 - 11) * 0.4375 + 0.0625 * k for k = 0, 1, ...: signs, ties and wide values."""
    k = np.arange(int(np.prod(shape)), dtype=np.float64)
    return ((k * 37 % 23 - 11) * 0.4375 + 0.0625 * k).astype(np.float32).reshape(shape)


via_text(ramp((5,)), 'rank1.txt')
via_text(ramp((3, 4)), 'rank2.txt')
via_text(ramp((2, 3, 4)), 'rank3.txt')
via_text(ramp((2, 3, 2, 3)), 'rank4.txt')

# Non-finite values, a negative value that rounds to zero, exact ties (0.0625, 0.1875, 2.0005
# is not one: float32), a value wider than 7 characters and one that needs no padding.
special = np.array([[np.nan, np.inf, -np.inf, -0.0001],
                    [0.0625, 0.1875, 2.0005, 123456.789],
                    [-1234.5, 1e-8, -0.0, 100.0]], dtype=np.float32)
via_text(special, 'nan_inf.txt')
