"The long-tail lesson (course report 003): long-tailed splits, the per-class table, and the lesson's main effect."
import pytest, torch
from hiercifar.hierarchy import Hierarchy
from hiercifar.data import synthetic_images, Part, ImageData, lt_counts
from hiercifar.metrics import Preds
from hiercifar.experiments import Config
from hiercifar.longtail import lt_split, lt_methods, run_methods, lt_table, best_of_families, tail_mistakes, shot_groups

FLAT10 = Hierarchy.flat(Hierarchy.cifar10().fine_names)

def cifar10_like(seed, n_train=180, n_test=40, h=FLAT10):
    d = synthetic_images(h, n_train, n_test, seed=seed, size=32)
    return ImageData(Part(*d['train'], h), Part(*d['test'], h), h, None, True, 'cifar10', None, None)

def test_profiles_and_split():
    assert lt_counts(5000, 10, 100).tolist() == [5000, 2997, 1796, 1077, 645, 387, 232, 139, 83, 50]
    assert lt_counts(100, 4, 10, 'step').tolist() == [100, 100, 10, 10]
    data = cifar10_like(0, 40, 5)
    study, test = lt_split(data, 10, profile='step', n_val=10)
    assert study.test.counts().tolist() == [10] * 10 and study.train.counts().tolist() == [30] * 5 + [3] * 5
    assert test is data.test
    with pytest.raises(ValueError, match='profile must be'): lt_split(data, 10, profile='linear', n_val=10)

def test_shot_groups_and_table():
    counts = torch.tensor([150, 100, 50, 19, 5])
    g = shot_groups(counts)
    assert [g[k].tolist() for k in ('many', 'medium', 'few')] == [[0], [1, 2], [3, 4]]
    h = Hierarchy.flat(list('abcde'))
    y = torch.arange(5).repeat_interleave(2)
    pred = torch.tensor([0, 0, 1, 1, 2, 0, 0, 0, 4, 4])          # per class: 1, 1, .5, 0, 1
    t = lt_table({'m': Preds({'fine': torch.eye(5)[pred]}, {'fine': y}, h)}, counts)
    assert t.loc['m', ['all', 'balanced', 'many', 'medium', 'few']].tolist() == pytest.approx([0.7, 0.7, 1., 0.75, 0.5])

def test_methods_are_valid_configs():
    m = lt_methods()
    for kw in m.values(): Config(**kw)            # every method is a valid Config
    assert m['CB-CE β=0.9999']['loss_kwargs'] == dict(gamma=0., beta=0.9999)

def test_tail_mistakes_on_the_tree():
    h = Hierarchy.cifar10()
    # three 'cat' images answered cat, dog (sibling: 1), truck (other group: 3)
    p = Preds({'fine': torch.eye(10)[[3, 5, 9]] * 5}, {'fine': torch.tensor([3, 3, 3])}, h)
    r = tail_mistakes(p, torch.tensor([100] * 3 + [5] + [100] * 6))
    assert r == pytest.approx({'acc_few': 1 / 3, 'severity_few_mistakes': 2.})

def test_class_balanced_focal_gives_the_tail_back():
    "The lesson's main effect: on long-tailed data (ρ = 50), CE leaves the few-shot classes near 0 %; CB focal loss does not."
    few = {'CE': [], 'CB focal γ=1 β=0.999': []}
    for seed in range(3):
        study, test = lt_split(cifar10_like(seed), 50, n_val=10, seed=seed)
        cfg = Config(epochs=5, bs=64, lr=1e-2, split='official', seed=seed, model_kwargs={'widths': (16, 32, 64), 'fc': 128})
        res = run_methods(study, test, cfg, {k: v for k, v in lt_methods().items() if k in few})
        t = lt_table({k: v[1] for k, v in res.items()}, study.train.counts(), dict(many=50, few=10))
        for k in few: few[k].append(t.loc[k, 'few'])
    print(few)
    gain = torch.tensor(few['CB focal γ=1 β=0.999']) - torch.tensor(few['CE'])
    # Measured on an AMD EPYC (AVX2): gains 0.25 / 0.04 / 0.13 (mean 0.139); on an Intel Xeon above 0.15. The direction
    # is the lesson: it must hold on average with a clear margin and in most random seeds, whatever the CPU's rounding.
    assert gain.mean() > 0.05 and (gain > 0).sum() >= 2, gain
