"The metric-learning lesson (course report 004): triplet loss against PyTorch, mining by hand, center-loss updates by hand, the settings' errors, and short Learner runs."
import pytest, torch
import pandas as pd
import torch.nn as nn
import torch.nn.functional as F
from hiercifar.hierarchy import Hierarchy
from hiercifar.data import synthetic_images, Part, ImageData
from hiercifar.learner import DataLoaders, SchedCB, save_checkpoint, load_checkpoint
from hiercifar.models import multihead_cnn
from hiercifar.metrics import Preds, evaluate
from hiercifar.metric_learning import (sub_classes, WithEmbedding, check_metric, triplet_loss, pair_dists, triplet_masks, hardest,
                                       batch_triplet, TripletLoss, CenterLoss, metric_loss, metric_learner, centre_eval, nearest_centre,
                                       class_means, pca2, compare_aux, ranking, wins)

H = Hierarchy.cifar100()

@pytest.fixture(autouse=True)
def one_thread():
    n = torch.get_num_threads(); torch.set_num_threads(1)   # tiny models on a shared CPU
    yield
    torch.set_num_threads(n)

def small_data(n_train=30, n_test=10, supers=('vehicles_1', 'vehicles_2')):
    d = synthetic_images(H, n_train, n_test, seed=0, size=16)
    return sub_classes(ImageData(Part(*d['train'], H), Part(*d['test'], H), H, None, True, 'cifar100', None, None), list(supers))

# a batch worked by hand: 1-d embeddings, classes 0 0 1 2 2, superclasses 0 0 0 1 1
E = torch.tensor([[0.], [1.], [3.], [1.5], [10.]])
FINE, COARSE = torch.tensor([0, 0, 1, 2, 2]), torch.tensor([0, 0, 0, 1, 1])

def test_triplet_matches_pytorch():
    g = torch.Generator().manual_seed(1)
    a, p, n = torch.randn(3, 50, 16, generator=g).unbind(0)
    for m in (0.1, 0.3, 2.):
        assert triplet_loss(a, p, n, m, 'euclidean').item() == pytest.approx(nn.TripletMarginLoss(margin=m, p=2)(a, p, n).item(), abs=1e-5)
    assert triplet_loss(torch.zeros(1, 2), torch.tensor([[3., 4.]]), torch.tensor([[0., 1.]]), 0.5).item() == pytest.approx(24.5)
    # batch-hard on 8 classes = PyTorch's loss on the mined triplets
    f = torch.arange(50) % 8
    p_, n_, ok = hardest(pair_dists(a, 'euclidean'), *triplet_masks(f))
    assert batch_triplet(a, f, margin=1., form='euclidean').item() == pytest.approx(nn.TripletMarginLoss(margin=1.)(a[ok], a[p_[ok]], a[n_[ok]]).item(), abs=1e-5)

def test_mining_by_hand():
    D = pair_dists(E)
    p, n, ok = hardest(D, *triplet_masks(FINE, COARSE))
    assert ok.tolist() == [True, True, False, True, True]             # image 2 is alone in its class
    assert p[ok].tolist() == [1, 0, 4, 3] and n[ok].tolist() == [3, 3, 1, 2]
    pos, neg = triplet_masks(FINE, COARSE)
    assert pos.sum().item() == 4 and not (pos & neg).any() and not pos.diagonal().any()
    assert batch_triplet(E, FINE, COARSE).item() == pytest.approx((0 + 1.25 + 72.5 + 23.75) / 4)
    assert batch_triplet(E, FINE, COARSE, mining='all').item() == pytest.approx((1.25 + 70.5 + 72.5 + 70.5 + 23.75) / 5)

def test_sibling_negatives_come_from_the_superclass():
    p, n, ok = hardest(pair_dists(E), *triplet_masks(FINE, COARSE, 'sibling'))
    assert n[ok].tolist() == [2, 2, 1, 2]                             # 0, 1 → their sibling class; 3, 4 have none in the batch
    # on a random batch: wherever an anchor has a sibling class in the batch, every negative is a sibling
    g = torch.Generator().manual_seed(0)
    f = torch.randint(0, 100, (64,), generator=g)
    c = H.fine2coarse[f]
    _, neg = triplet_masks(f, c, 'sibling')
    has = ((c[:, None] == c[None]) & (f[:, None] != f[None])).any(1)
    assert has.any() and (~has).any()
    assert ((c[:, None] == c[None]) | ~neg)[has].all()                  # negatives of those anchors: same superclass only
    assert (neg[~has] == (f[:, None] != f[None])[~has]).all()            # the others: any other class
    assert batch_triplet(E, FINE, COARSE, negatives='sibling').item() == pytest.approx((0 + 0 + 72.5 + 23.75) / 4)

def test_center_updates_by_hand():
    cl = CenterLoss(3, 2, alpha=0.5)
    emb, y = torch.tensor([[1., 0.], [3., 0.], [0., 2.]]), torch.tensor([0, 0, 2])
    cl.update(emb, y)
    assert torch.allclose(cl.centers, torch.tensor([[2 / 3, 0.], [0., 0.], [0., 0.5]]))
    assert cl(emb, y).item() == pytest.approx(0.5 * ((1 / 3) ** 2 + (7 / 3) ** 2 + 1.5 ** 2) / 3)
    cl.update(torch.tensor([[0., 0.]]), torch.tensor([0]))
    assert torch.allclose(cl.centers[0], torch.tensor([0.5, 0.]))
    cl = CenterLoss(2, 1, alpha=1.)                                     # α = 1, one image: the centre moves half-way (the 1 in 1 + n)
    cl.update(torch.tensor([[4.]]), torch.tensor([1]))
    assert cl.centers.flatten().tolist() == [0., 2.]

@pytest.mark.parametrize('call, msg', [
    (lambda: check_metric(margin=-0.1), 'margin must be a number ≥ 0, got -0.1'),
    (lambda: check_metric(alpha=1.5), 'alpha must be a number in (0, 1]'),
    (lambda: TripletLoss(mining='semi'), "mining must be one of 'all', 'hard', got 'semi'"),
    (lambda: TripletLoss(negatives='cousin'), "negatives must be one of 'any', 'sibling'"),
    (lambda: metric_loss(H, 'arcface'), "aux must be one of 'none', 'triplet', 'center'"),
    (lambda: metric_loss(H, 'center'), "aux='center' needs dim"),
    (lambda: metric_loss(H, 'triplet', alpha=0.5), "aux='triplet' takes no alpha"),
    (lambda: metric_loss(H, 'triplet', lam=float('nan')), 'lam must be a number ≥ 0'),
    (lambda: CenterLoss(3, 0), 'dim must be a whole number ≥ 1'),
    (lambda: triplet_masks(FINE, None, 'sibling'), "negatives='sibling' needs the superclass labels"),
    (lambda: WithEmbedding(nn.Linear(2, 2)), 'needs a model with a `body` and `heads`'),
    (lambda: sub_classes(small_data(1, 1), ['boats']), 'coarse must name distinct superclasses'),
])
def test_bad_settings_one_line(call, msg):
    with pytest.raises(ValueError) as e: call()
    assert msg in str(e.value) and '\n' not in str(e.value)

def test_embedding_and_loss_errors():
    m = WithEmbedding(multihead_cnn(small_data(1, 1).hier, widths=(4, 8, 8), n_conv=1, fc=12, size=16))
    o = m(torch.randn(2, 3, 16, 16))
    assert set(o) == {'fine', 'coarse', 'group', 'emb'} and o['emb'].shape == (2, 12) and m.dim == 12
    y = {'fine': torch.tensor([0, 1]), 'coarse': torch.tensor([0, 0]), 'group': torch.tensor([0, 0])}
    with pytest.raises(ValueError, match='wrap the model in WithEmbedding'):
        metric_loss(small_data(1, 1).hier, 'triplet')({k: v for k, v in o.items() if k != 'emb'}, y)
    with pytest.raises(ValueError, match='CenterLoss has 5-d centres'): CenterLoss(10, 5)(o['emb'], y['fine'])

def test_nearest_centre_and_pca():
    c = class_means(torch.tensor([[0., 0.], [2., 0.], [10., 10.]]), torch.tensor([0, 0, 2]), 3)
    assert torch.isnan(c[1]).all() and c[0].tolist() == [1., 0.]
    assert nearest_centre(torch.tensor([[0., 1.], [9., 9.], [5., 5.]]), c).tolist() == [0, 2, 0]
    X = torch.randn(100, 4, generator=torch.Generator().manual_seed(0)) * torch.tensor([4., 1., .5, .1])
    P = pca2(X)
    assert P.shape == (100, 2) and P[:, 0].var() > 4 * P[:, 1].var() > 0

@pytest.mark.parametrize('aux, kw', [('triplet', dict(lam=1.)), ('triplet', dict(lam=1., negatives='sibling')),
                                     ('center', dict(lam=0.003))])
def test_tiny_learner_run(aux, kw, tmp_path):
    data = small_data(40, 20)
    torch.manual_seed(0)
    model = WithEmbedding(multihead_cnn(data.hier, widths=(16, 32, 64), n_conv=1, fc=64, p_fc=0., size=16))
    dls = DataLoaders.from_parts(data.train, data.test, bs=64, device='cpu', seed=0, mean=data.mean, std=data.std)
    learn = metric_learner(model, dls, metric_loss(data.hier, aux, dim=model.dim, **kw), data.hier, cbs=[SchedCB('onecycle')],
                           lr=1e-2, precision='fp32')
    learn.fit(6)
    res, (out, y) = centre_eval(learn, data)
    chance = 1 / data.hier.n_fine                                           # 10 classes: 0.1
    assert res['centre'] > 2 * chance and res['head'] > 1.5 * chance and res['centre_coarse'] > 0.7, res   # superclass: chance 0.5
    assert torch.isfinite(torch.tensor([h['train_loss'] for h in learn.history])).all()
    if aux == 'center':                                                    # the centres moved, and a checkpoint keeps them
        c0 = learn.loss_func.aux.centers.clone()
        assert c0.abs().sum() > 0
        save_checkpoint(learn, tmp_path/'ckpt.pt'); learn.loss_func.aux.centers.zero_(); load_checkpoint(learn, tmp_path/'ckpt.pt')
        assert torch.equal(learn.loss_func.aux.centers, c0)
    p = Preds.from_learner(learn)
    assert evaluate(p)['acc_fine'] == pytest.approx(res['head'])

def test_compare_and_tables():
    runs = pd.DataFrame({'method': ['a', 'b'] * 3, 'seed': [0, 0, 1, 1, 2, 2], 'head': [.5, .4, .3, .6, .2, .7]})
    assert list(ranking(runs).index) == ['b', 'a']
    assert ranking(runs).loc['b', 'head'] == '0.567 ± 0.153 (0.400 – 0.700)'
    assert wins(runs).loc['b', 'a'] == 2 and wins(runs).loc['a', 'b'] == 1
    with pytest.raises(ValueError, match='margin must be'):            # checked before any training
        compare_aux(small_data(1, 1), {'t': dict(aux='triplet', margin=-1.)})
