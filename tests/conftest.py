import os
from pathlib import Path
import pytest

REPO = Path(__file__).resolve().parents[1]
# Genuine CIFAR-100 pieces live outside the repository (../shared/data/cifar-100-partial); never copied in.
REFERENCE = Path(os.environ.get('HIERCIFAR_REFERENCE', REPO.parent/'shared'/'data'/'cifar-100-partial'))

@pytest.fixture(scope='session')
def reference():
    "The genuine CIFAR-100 reference folder, or skip."
    if not (REFERENCE/'meta').exists(): pytest.skip(f'genuine CIFAR-100 reference not found at {REFERENCE}')
    return REFERENCE

@pytest.fixture(scope='session')
def small(tmp_path_factory):
    "A small generated CIFAR-100 (10 train, 4 test images per class) in the original format."
    from hiercifar.data import write_synthetic_cifar100
    root = tmp_path_factory.mktemp('cifar')
    write_synthetic_cifar100(root, n_train=10, n_test=4, seed=0)
    return root

def pytest_configure(config):
    config.addinivalue_line('markers', 'runall: executes whole notebooks as Run All does (about a minute each); deselect with -m "not runall"')

@pytest.fixture(scope='session')
def data(tmp_path_factory):
    "A generated CIFAR-100 (4 train, 1 test image per class) loaded in memory, for training runs with a tiny CNN."
    from hiercifar.data import write_synthetic_cifar100, load_cifar100
    root = tmp_path_factory.mktemp('d')
    write_synthetic_cifar100(root, n_train=4, n_test=1, seed=0)
    return load_cifar100(root)
