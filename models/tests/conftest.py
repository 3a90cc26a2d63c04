import os
import sys

import pytest

MODELS_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if MODELS_DIR not in sys.path:
    sys.path.insert(0, MODELS_DIR)

try:
    import mlpstream_models  # noqa: F401  (sets OPENBLAS_NUM_THREADS before numpy/torch load)
    import onnx  # noqa: F401
    import torch  # noqa: F401
except ImportError as e:  # e.g. a pyenv python3 shadowing Debian's /usr/bin/python3
    pytest.exit(f"{sys.executable} cannot import torch/onnx ({e}); run the suite with the interpreter "
                "that has python3-torch/python3-onnx, e.g. /usr/bin/python3 -m pytest models/tests -q",
                returncode=4)
