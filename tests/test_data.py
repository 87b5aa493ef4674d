import hashlib, pickle
import numpy as np
import pytest
import torch
from hiercifar.data import *
from hiercifar.data import CIFAR_DIR
from hiercifar.hierarchy import Hierarchy

def test_round_trip(small):
    d = load_cifar100(small)
    gen = synthetic_cifar100(10, 4, seed=0)
    assert torch.equal(d.train.x, gen['train'][0]) and torch.equal(d.train.fine, gen['train'][1])
    assert torch.equal(d.test.x, gen['test'][0]) and torch.equal(d.test.fine, gen['test'][1])
    assert d.train.x.dtype == torch.uint8 and d.train.x.shape == (1000, 3, 32, 32)
    assert d.synthetic and d.train.counts().tolist() == [10] * 100
    assert torch.equal(d.train.group, d.hier.fine2group[d.train.fine])
    assert len(set(d.train.filenames) | set(d.test.filenames)) == 1400

def test_deterministic_bytes(tmp_path, small):
    write_synthetic_cifar100(tmp_path, n_train=10, n_test=4, seed=0)
    for f in ('meta', 'train', 'test'):
        assert (tmp_path/CIFAR_DIR/f).read_bytes() == (small/CIFAR_DIR/f).read_bytes()
    assert not any(p.suffix == '.tmp' for p in (tmp_path/CIFAR_DIR).iterdir())

def test_original_format(small):
    from torchvision.datasets import CIFAR100
    assert hashlib.md5((small/CIFAR_DIR/'meta').read_bytes()).hexdigest() == CIFAR100.meta['md5']
    with open(small/CIFAR_DIR/'train', 'rb') as f: raw = pickle.load(f, encoding='bytes')
    assert list(raw) == [b'filenames', b'batch_label', b'fine_labels', b'coarse_labels', b'data']
    assert raw[b'data'].dtype == np.uint8 and raw[b'data'].shape == (1000, 3072)
    assert isinstance(raw[b'fine_labels'], list) and isinstance(raw[b'filenames'][0], bytes)
    # torchvision's own reader (latin1, as for Python 2 pickles) sees the same pixels, in HWC order
    class Unchecked(CIFAR100):
        def _check_integrity(self): return True
    tv = Unchecked(str(small), train=False)
    d = load_cifar100(small)
    assert torch.equal(torch.from_numpy(tv.data).permute(0, 3, 1, 2), d.test.x) and tv.targets == d.test.fine.tolist()
    assert tv.classes == d.hier.fine_names

def test_meta_byte_identical(reference, small):
    assert (small/CIFAR_DIR/'meta').read_bytes() == (reference/'meta').read_bytes()

def test_genuine_images_round_trip(reference, tmp_path):
    z, p = np.load(reference/'labels_and_filenames.npz'), np.load(reference/'partial_images.npz')
    x = torch.from_numpy(p['test_data_first916']).view(-1, 3, 32, 32)
    fine = torch.from_numpy(z['test_fine_labels'][:916].astype(np.int64))
    write_cifar100(tmp_path, {'train': (x[:16], fine[:16]), 'test': (x, fine)})
    d = load_cifar100(tmp_path)
    assert torch.equal(d.test.x, x) and torch.equal(d.test.fine, fine)
    assert torch.equal(d.test.coarse, torch.from_numpy(z['test_coarse_labels'][:916].astype(np.int64)))
    assert not d.synthetic

def test_errors(tmp_path, small):
    with pytest.raises(FileNotFoundError, match=r'download=True'): load_cifar100(tmp_path/'nothing')
    root = tmp_path/'r'; write_synthetic_cifar100(root, 1, 1)
    (root/CIFAR_DIR/'train').unlink()
    with pytest.raises(FileNotFoundError, match=r'file missing: .*train'): load_cifar100(root)
    write_synthetic_cifar100(root, 1, 1)
    t = root/CIFAR_DIR/'test'; t.write_bytes(t.read_bytes()[:-500])
    with pytest.raises(CorruptDataError, match=r'test is truncated or corrupt') as e: load_cifar100(root)
    assert e.value.__suppress_context__
    t.write_bytes(b'not a pickle at all')
    with pytest.raises(CorruptDataError, match=r'test is truncated or corrupt'): load_cifar100(root)
    # wrong array size
    x, fine = torch.zeros(3, 3, 32, 32, dtype=torch.uint8), torch.tensor([0, 1, 2])
    write_cifar100(root, {'train': (x, fine), 'test': (x, fine)})
    raw = pickle.load(open(root/CIFAR_DIR/'test', 'rb'), encoding='bytes')
    from hiercifar.data import py2_pickle
    t.write_bytes(py2_pickle({'filenames': [], 'batch_label': 'x', 'fine_labels': [0, 1, 2], 'coarse_labels': [4, 1, 14],
                              'data': raw[b'data'][:, :1000].copy()}))
    with pytest.raises(CorruptDataError, match=r'shape \(N, 3072\)'): load_cifar100(root)
    t.write_bytes(py2_pickle({'filenames': [], 'batch_label': 'x', 'fine_labels': [0, 1], 'coarse_labels': [4, 1],
                              'data': raw[b'data']}))
    with pytest.raises(CorruptDataError, match=r'3 images but 2 fine'): load_cifar100(root)
    t.write_bytes(py2_pickle({'filenames': ['a', 'b', 'c'], 'batch_label': 'x', 'fine_labels': [0, 1, 2], 'coarse_labels': [4, 1, 3],
                              'data': raw[b'data']}))
    with pytest.raises(CorruptDataError, match=r'image 2 has fine label 2'): load_cifar100(root)
    # labels of the wrong kind, and file names that do not match the images (each was a traceback or silent before)
    good = dict(filenames=['a', 'b', 'c'], batch_label='x', fine_labels=[0, 1, 2], coarse_labels=[4, 1, 14], data=raw[b'data'])
    for change, msg in [(dict(coarse_labels=7), r"'coarse_labels' must be a list of whole numbers, one per image, got int"),
                        (dict(fine_labels=[[0], [1], [2]]), r"'fine_labels' must be a list .* got 2-d int64 labels"),
                        (dict(filenames=['a']), r'3 images but 1 file names')]:
        t.write_bytes(py2_pickle({**good, **change}))
        with pytest.raises(CorruptDataError, match=msg): load_cifar100(root)
    t.write_bytes(pickle.dumps({**good, 'fine_labels': np.array([0., 1., 2.])}, protocol=2))
    with pytest.raises(CorruptDataError, match=r"'fine_labels' must be a list .* got 1-d float64 labels"): load_cifar100(root)

def test_rejects_foreign_objects(tmp_path):
    write_synthetic_cifar100(tmp_path, 1, 1)
    (tmp_path/CIFAR_DIR/'meta').write_bytes(pickle.dumps({'fine_label_names': print}))
    with pytest.raises(CorruptDataError, match='unexpected object'): load_cifar100(tmp_path)

def test_hierarchy_shaped_signal(small):
    d = load_cifar100(small)
    means = torch.stack([d.train.x[d.train.fine == c].float().mean(0).flatten() for c in range(100)])
    d2 = torch.cdist(means, means) ** 2
    near, mid, far = (d2[d.hier.lca == k].mean() for k in (1, 2, 3))
    assert near < mid < far

def test_splits(small):
    d = load_cifar100(small)
    n = len(d.train) + len(d.test)
    for frac in (0.7, 0.8, 0.9):
        tr, va = split_cifar100(d, frac, seed=3)
        assert len(tr) + len(va) == n and len(tr) == 100 * round(14 * frac)
        assert (tr.counts() == round(14 * frac)).all()
        assert not set(tr.filenames) & set(va.filenames)
        tr2, va2 = split_cifar100(d, frac, seed=3)
        assert tr.filenames == tr2.filenames and va.filenames == va2.filenames
    assert split_cifar100(d, 0.8, seed=1)[0].filenames != split_cifar100(d, 0.8, seed=2)[0].filenames
    tr, va = split_cifar100(d, 'official')
    assert tr is d.train and va is d.test
    with pytest.raises(ValueError, match='train fraction'): split_cifar100(d, 'eighty')
    with pytest.raises(ValueError, match='between 0 and 1'): split_cifar100(d, 1.5)

def test_full_size_split_sizes():
    h = Hierarchy.cifar100()
    fine = torch.arange(100).repeat_interleave(600)
    part = Part(torch.zeros(len(fine), 3, 32, 32, dtype=torch.uint8), fine, h)
    for frac, ntr in ((0.7, 42000), (0.8, 48000), (0.9, 54000)):
        tr, va = stratified_split(part, frac, seed=0)
        assert (len(tr), len(va)) == (ntr, 60000 - ntr)

def test_long_tail_and_balanced_sampler(small):
    d = load_cifar100(small)
    lt = long_tailed(d.train, imbalance=10, seed=0)
    c = lt.counts()
    assert c[0] == 10 and c[99] == 1 and (c[:-1] >= c[1:]).all()
    assert c[50] == int(10 * 10 ** (-50 / 99))
    dl = Loader(lt, bs=64, balanced=True, device='cpu', seed=0)
    drawn = torch.cat([y['fine'] for _, y in dl for _ in range(1)])
    assert len(drawn) == len(lt)
    many = torch.cat([dl.indices() for _ in range(40)])
    freq = torch.bincount(lt.fine[many], minlength=100).float()
    assert freq.min() > 0.5 * freq.mean()          # every class drawn about equally often
    with pytest.raises(ValueError, match='imbalance'): long_tailed(d.train, 0.5)

def test_loader(small):
    d = load_cifar100(small)
    dl = Loader(d.train, bs=300, shuffle=True, augment=True, device='cpu', seed=0)
    bs = list(dl)
    assert [len(x) for x, _ in bs] == [300, 300, 300, 100] and len(dl) == 4
    x, y = bs[0]
    assert x.dtype == torch.float32 and x.shape == (300, 3, 32, 32)
    assert torch.equal(y['coarse'], d.hier.fine2coarse[y['fine']]) and torch.equal(y['group'], d.hier.fine2group[y['fine']])
    again = list(Loader(d.train, bs=300, shuffle=True, augment=True, device='cpu', seed=0))
    assert all(torch.equal(a[0], b[0]) for a, b in zip(bs, again))
    seen = torch.cat([y['fine'] for _, y in bs])
    assert torch.equal(seen.sort().values, d.train.fine.sort().values)   # one pass sees every image once
    plain = next(iter(Loader(d.train, bs=5, device='cpu')))[0]
    mean = torch.tensor(CIFAR100_MEAN).view(1, 3, 1, 1); std = torch.tensor(CIFAR100_STD).view(1, 3, 1, 1)
    assert torch.allclose(plain, (d.train.x[:5].float() / 255 - mean) / std, atol=1e-5)
    assert len(Loader(d.train, bs=300, drop_last=True, device='cpu')) == 3
    cl = next(iter(Loader(d.train, bs=4, device='cpu', channels_last=True)))[0]
    assert cl.is_contiguous(memory_format=torch.channels_last)

def test_augment_crop_and_flip():
    x = torch.arange(2 * 3 * 32 * 32, dtype=torch.float32).view(2, 3, 32, 32)
    g = torch.Generator().manual_seed(0)
    y = augment_batch(x, pad=0, flip=True, generator=g)
    assert all(torch.equal(a, b) or torch.equal(a, b.flip(-1)) for a, b in zip(y, x))
    z = augment_batch(x, pad=4, flip=False, generator=torch.Generator().manual_seed(1))
    for a, b in zip(z, x):   # every output is the input shifted by at most 4 pixels, zeros coming in
        found = [(dy, dx) for dy in range(-4, 5) for dx in range(-4, 5)
                 if torch.equal(a, torch.nn.functional.pad(b, (4, 4, 4, 4))[:, 4 + dy:36 + dy, 4 + dx:36 + dx])]
        assert len(found) == 1

def test_take_per_class_shares_the_split_order(small):
    d = load_cifar100(small)
    a, b = take_per_class(d.train, 3, seed=5), take_per_class(d.train, 3, seed=5)
    assert a.counts().tolist() == [3] * 100 and a.filenames == b.filenames
    assert take_per_class(d.train, torch.arange(100) % 4).counts().tolist() == (torch.arange(100) % 4).tolist()

def ldam_drw_counts(n_max, C, rho):
    "LDAM-DRW's get_img_num_per_cls (Cao et al. 2019), the reference long-tail profile, in its own expression."
    return [int(n_max * (1 / rho) ** (i / (C - 1))) for i in range(C)]

def test_lt_counts_matches_reference_profile():
    from hiercifar.data import lt_counts
    cases = [(n, C, rho) for n in (5, 17, 50, 100, 250, 300, 433, 500) for C in range(2, 201)
             for rho in (1, 2, 10, 50, 75, 100, 200)]
    assert len(cases) >= 4000
    bad = [(n, C, rho) for n, C, rho in cases
           if lt_counts(n, C, rho).tolist() != [max(k, 1) for k in ldam_drw_counts(n, C, rho)]]
    assert bad == []
    assert lt_counts(300, 200, 75)[-1].item() == 4        # the case: torch's pow gave 3 (imbalance 100, not 75)
