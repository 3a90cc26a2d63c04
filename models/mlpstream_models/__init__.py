"""mlpstream model tooling: data, building blocks, architectures, training and export."""
import os as _os

# torch's own intra-op pool (torch.set_num_threads) and a multi-threaded OpenBLAS (Debian's
# libblas.so.3 alternative) oversubscribe the cores badly (5-10x slower on 2 cores).
# Keep BLAS single-threaded; must be set before numpy/torch load the library.
_os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
_os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
