"Data sets beyond CIFAR-100 in the same pipeline: flat classes and small trees, any image size (issue 'Beyond CIFAR-100')."
import pytest, torch
from hiercifar.hierarchy import Hierarchy, CIFAR10_CLASSES, STL10_CLASSES, tree, boundaries
from hiercifar.data import synthetic_images, synthetic_cifar100, Part, ImageData, Loader, channel_stats
from hiercifar.models import get_model, stem_stride, MODELS
from hiercifar.losses import get_loss, LOSSES
from hiercifar.metrics import Preds, evaluate, level_preds
from hiercifar.experiments import Config, ConfigError, train, run_folder, check_fits

FLAT = Hierarchy.flat([f'n{i:08d}' for i in range(12)])

def image_data(h, n_train, n_test, size, name, seed=0):
    d = synthetic_images(h, n_train, n_test, seed=seed, size=size)
    return ImageData(Part(*d['train'], h), Part(*d['test'], h), h, None, True, name, None, None)

@pytest.fixture(scope='module')
def flat64(): return image_data(FLAT, 6, 2, 64, 'tinyimagenet')

# ---- hierarchies
def test_small_trees():
    for h, names in ((Hierarchy.cifar10(), CIFAR10_CLASSES), (Hierarchy.stl10(), STL10_CLASSES)):
        assert h.fine_names == names and h.sizes == dict(fine=10, coarse=4, group=2)
        assert h.group_names == ['animals', 'vehicles']
    h = Hierarchy.cifar10()
    i = h.fine_names.index
    assert [h.lca[i('cat'), i(o)].item() for o in ('dog', 'bird', 'truck')] == [1, 2, 3]
    assert h.severity().max() == 3 and len(boundaries(h)[1]) == 1

def test_flat_hierarchy():
    assert FLAT.levels == ('fine',) and FLAT.is_flat and FLAT.sizes == {'fine': 12}
    assert torch.equal(FLAT.lca, 1 - torch.eye(12, dtype=torch.long))
    assert set(FLAT.labels(torch.tensor([3, 4]))) == {'fine'}
    assert FLAT.order().tolist() == list(range(12)) and boundaries(FLAT) == ([], [])
    assert tree(FLAT).splitlines()[0] == 'Hierarchy(12 classes, no hierarchy)'
    for bad, msg in ((lambda: FLAT.severity(), 'needs a class hierarchy'), (lambda: FLAT.names('coarse'), "no level 'coarse'"),
                     (lambda: FLAT.with_groups({}), 'needs a class hierarchy'),
                     (lambda: Hierarchy(['a', 'b'], ['x']), 'give coarse_names, fine2coarse and groups together')):
        with pytest.raises(ValueError, match=msg): bad()
    assert FLAT == Hierarchy.flat(FLAT.fine_names) and FLAT != Hierarchy.cifar10()

@pytest.mark.parametrize('tree_, msg', [
    ({'a': {'x': ['cat', 'dog']}, 'b': {'y': ['dog']}}, 'appear under two superclasses'),
    ({'a': {'x': ['cat']}}, 'leaves out class'),
    ({'a': {'x': ['cat', 'dog', 'emu']}}, 'does not have: emu'),
    ({'a': ['cat', 'dog']}, 'dict of group'),
])
def test_from_tree_errors(tree_, msg):
    with pytest.raises(ValueError, match=msg): Hierarchy.from_tree(tree_, ['cat', 'dog'])

def test_with_hierarchy(flat64):
    names = flat64.hier.fine_names
    mine = Hierarchy.from_tree({'g1': {'c1': names[:6]}, 'g2': {'c2': names[6:9], 'c3': names[9:]}}, names)
    d = flat64.with_hierarchy(mine)
    assert d.hier is mine and d.train.hier is mine and torch.equal(d.train.x, flat64.train.x)
    assert set(Loader(d.train, bs=4, device='cpu').y) == {'fine', 'coarse', 'group'}
    with pytest.raises(ValueError, match="class 0 is 'n00000000' here but 'x' in the hierarchy"):
        flat64.with_hierarchy(Hierarchy.flat(['x'] + names[1:]))

# ---- data of any size
def test_synthetic_sizes_and_cifar100_unchanged():
    a = synthetic_images(Hierarchy.cifar100(), 2, 1, seed=3)
    b = synthetic_cifar100(2, 1, seed=3)
    assert all(torch.equal(a[k][0], b[k][0]) and torch.equal(a[k][1], b[k][1]) for k in a)
    for size in (64, 96):
        d = synthetic_images(FLAT, 2, 1, seed=0, size=size)
        assert d['train'][0].shape == (24, 3, size, size) and d['train'][0].dtype == torch.uint8
        assert torch.bincount(d['train'][1]).tolist() == [2] * 12
    with pytest.raises(ValueError, match='size must be a whole number'): synthetic_images(FLAT, 1, 1, size=0)

def test_part_and_loader_any_size(flat64):
    assert flat64.size == 64 and len(flat64.mean) == 3
    m, s = channel_stats(flat64.train.x)
    assert m == flat64.mean and all(0.3 < v < 0.7 for v in m) and all(0.05 < v < 0.4 for v in s)
    dl = Loader(flat64.train, bs=16, augment=True, device='cpu', mean=flat64.mean, std=flat64.std)
    assert dl.pad == 8
    xb, yb = next(iter(dl))
    assert xb.shape == (16, 3, 64, 64) and set(yb) == {'fine'}
    assert abs(xb.mean().item()) < 0.3    # normalised with the data's own statistics
    with pytest.raises(ValueError, match=r'shape \(N, 3, H, W\)'): Part(torch.zeros(2, 1, 8, 8, dtype=torch.uint8), torch.zeros(2, dtype=torch.long), FLAT)

# ---- models
@pytest.mark.parametrize('size', [32, 64, 96])
@pytest.mark.parametrize('name', ['cnn', 'resnet18', 'cnn1'])
def test_models_any_size(name, size):
    h = Hierarchy.stl10()
    m = get_model(name, h, size=size, **({'widths': (8, 8, 8), 'fc': 16} if name.startswith('cnn') else {})).eval()
    out = m(torch.randn(2, 3, size, size))
    assert {k: tuple(v.shape) for k, v in out.items()} == {'fine': (2, 10), 'coarse': (2, 4), 'group': (2, 2)}
    f = get_model(name, FLAT, size=size, **({'widths': (8, 8, 8), 'fc': 16} if name.startswith('cnn') else {})).eval()
    assert set(f(torch.randn(1, 3, size, size))) == {'fine'}

def test_stem_stride():
    assert [stem_stride(s, 32) for s in (32, 64, 96)] == [1, 2, 3]
    assert [stem_stride(s, 48) for s in (32, 64, 96)] == [1, 1, 2]
    with pytest.raises(ValueError, match='size'): get_model('cnn', FLAT, size=4)

# ---- losses and metrics without a tree
def test_losses_on_flat():
    out, y = {'fine': torch.randn(5, 12)}, {'fine': torch.arange(5)}
    ce = torch.nn.functional.cross_entropy(out['fine'], y['fine'])
    assert torch.allclose(get_loss('multihead', FLAT)(out, y), ce)
    assert get_loss('focal', FLAT, gamma=0., counts=torch.ones(12) * 5)(out, y).item() == pytest.approx(ce.item(), rel=1e-5)
    for name in ('hce', 'severity', 'hxe', 'soft', 'consistency'):
        with pytest.raises(ValueError, match="needs a class hierarchy.*use 'multihead'"): get_loss(name, FLAT)

def test_evaluate_flat_has_no_invented_levels():
    g = torch.Generator().manual_seed(0)
    logits, y = torch.randn(40, 12, generator=g), torch.randint(0, 12, (40,), generator=g)
    logits[:20] += 10 * torch.nn.functional.one_hot(y[:20], 12)     # half of them right
    p = Preds({'fine': logits}, {'fine': y}, FLAT)
    m = evaluate(p, k=5)
    assert set(m) == {'acc_fine', 'top5_fine'}
    assert m['acc_fine'] == pytest.approx((logits.argmax(-1) == y).float().mean().item()) and m['acc_fine'] >= 0.5
    assert set(level_preds(p)) == {'fine'}
    with pytest.raises(ValueError, match='needs a class hierarchy'): evaluate(p, rule='crm')
    with pytest.raises(ValueError, match='needs a class hierarchy'): evaluate(p, S=(1, 2, 3))

# ---- training runs
def test_train_flat_end_to_end(flat64, tmp_path):
    cfg = Config(epochs=1, bs=32, split='official', model_kwargs={'widths': (8, 8, 8), 'fc': 16})
    learn, m = train(cfg, flat64, tmp_path/'run', progress=False, verbose=False)
    assert set(m['argmax']) == {'acc_fine', 'top5_fine'} and 'crm' not in m
    assert 'valid_acc_coarse' not in learn.history[0] and 'valid_severity' not in learn.history[0]
    assert run_folder(cfg, flat64).name.startswith('synthetic-tinyimagenet-cnn-splitofficial-multihead-seed0-')
    with pytest.raises(ConfigError, match="loss 'hxe' needs a class hierarchy, and tinyimagenet \\(12 classes\\) has none"):
        train(Config(loss='hxe', epochs=1), flat64, tmp_path/'hxe')
    assert not (tmp_path/'hxe').exists()    # refused before any work

def test_short_run_beats_chance_on_a_small_tree():
    data = image_data(Hierarchy.cifar10(), 60, 20, 32, 'cifar10')
    cfg = Config(epochs=4, bs=64, lr=3e-3, split='official', model_kwargs={'widths': (16, 32, 64), 'fc': 128}, loss='severity')
    _, m = train(cfg, data, progress=False)
    a = m['argmax']
    assert a['acc_fine'] > 0.25 and a['acc_group'] > 0.8           # chance: 0.1 and 0.5
    assert 0 <= m['crm']['avg_severity'] <= 3 and set(m) >= {'argmax', 'crm'}
