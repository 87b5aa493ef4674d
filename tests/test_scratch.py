"""Cross-entropy and SGD written by hand (hiercifar.scratch) against PyTorch's own: values, gradients, logits of ±1000,
every reduction, bad input; SGD step for step over 50 steps for each option set, its argument checks, its state;
ScratchCE against MultiHeadCE; and a short Learner run with both that lowers the loss."""
import copy, functools
import pytest
import torch
import torch.nn.functional as F
from hiercifar.hierarchy import Hierarchy
from hiercifar.losses import MultiHeadCE
from hiercifar.models import multihead_cnn
from hiercifar.data import Part, synthetic_images
from hiercifar.learner import Learner, DataLoaders, SchedCB, set_seed
from hiercifar.scratch import REDUCTIONS, cross_entropy, cross_entropy_grad, ScratchCE, SGD

@pytest.fixture(autouse=True, scope='module')
def one_thread():
    "These models are tiny: one thread is fastest, and it keeps the timings steady on a shared machine."
    n = torch.get_num_threads(); torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)

def _logits(n=32, c=10, scale=3., seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, c, generator=g) * scale, torch.randint(0, c, (n,), generator=g)

@pytest.mark.parametrize('reduction', REDUCTIONS)
def test_ce_matches_torch(reduction):
    z, y = _logits()
    a, b = z.clone().requires_grad_(), z.clone().requires_grad_()
    mine, ref = cross_entropy(a, y, reduction), F.cross_entropy(b, y, reduction=reduction)
    assert mine.shape == ref.shape
    torch.testing.assert_close(mine, ref)   # float32's default: relative to the value (a sum over 32 rows is ~130)
    mine.sum().backward(); ref.sum().backward()
    torch.testing.assert_close(a.grad, b.grad, rtol=1.3e-6, atol=1e-6)
    torch.testing.assert_close(cross_entropy_grad(z, y, reduction), b.grad, rtol=1.3e-6, atol=1e-6)

def test_ce_known_values():
    # two classes with logits (0, 0): p = 1/2, loss log 2; (log 3, 0) with y=0: p = 3/4, loss log(4/3)
    z = torch.tensor([[0., 0.], [3., 0.]]); z[1, 0] = torch.tensor(3.).log()
    torch.testing.assert_close(cross_entropy(z, torch.tensor([1, 0]), 'none'), torch.tensor([2., 4 / 3]).log())
    torch.testing.assert_close(cross_entropy_grad(z, torch.tensor([1, 0]), 'sum'), torch.tensor([[.5, -.5], [-.25, .25]]))

def test_ce_large_logits():
    big = torch.tensor([[1000., -1000., 0.], [1000., -1000., 0.], [-1000., 1000., 0.], [-1000., -1000., -1000.]])
    y = torch.tensor([0, 1, 1, 2])
    naive = -(big.exp() / big.exp().sum(1, keepdim=True)).log().gather(1, y[:, None])[:, 0]
    assert not torch.isfinite(naive).all()                       # log(softmax) overflows …
    out = cross_entropy(big, y, 'none')
    torch.testing.assert_close(out, torch.tensor([0., 2000., 0., torch.tensor(3.).log().item()]))   # … ours does not
    torch.testing.assert_close(out, F.cross_entropy(big, y, reduction='none'))
    a, b = big.clone().requires_grad_(), big.clone().requires_grad_()
    cross_entropy(a, y).backward(); F.cross_entropy(b, y).backward()
    assert torch.isfinite(a.grad).all()
    torch.testing.assert_close(a.grad, b.grad)

def test_ce_keeps_dtype_and_device_shapes():
    z, y = _logits(8, 5)
    assert cross_entropy(z.double(), y).dtype == torch.float64
    assert cross_entropy(z, y, 'none').shape == (8,)
    assert cross_entropy(z[:0], y[:0], 'sum').item() == 0.

@pytest.mark.parametrize('args, msg', [
    (dict(reduction='avg'), "reduction must be 'mean', 'sum' or 'none', got 'avg'"),
    (dict(logits=torch.zeros(4)), 'logits must be a float tensor of shape (batch, classes), got torch.float32 (4,)'),
    (dict(logits=torch.zeros(4, 3, dtype=torch.long)), 'logits must be a float tensor'),
    (dict(target=torch.zeros(3, dtype=torch.long)), 'an int64 tensor of shape (4,), got torch.int64 (3,)'),
    (dict(target=torch.zeros(4)), 'an int64 tensor of shape (4,), got torch.float32 (4,)'),
    (dict(target=torch.tensor([0, 1, 2, 3])), 'target must hold class indices 0 … 2, got values from 0 to 3'),
    (dict(target=torch.tensor([0, -1, 2, 1])), 'got values from -1 to 2'),
])
def test_ce_bad_input(args, msg):
    kw = dict(logits=torch.zeros(4, 3), target=torch.zeros(4, dtype=torch.long), reduction='mean') | args
    with pytest.raises(ValueError, match=None) as e: cross_entropy(**kw)
    assert msg in str(e.value)
    if 'reduction' not in args:
        with pytest.raises(ValueError): cross_entropy_grad(**kw)

def test_scratch_ce_is_multihead_ce():
    h = Hierarchy.cifar100()
    g = torch.Generator().manual_seed(0)
    out = {l: torch.randn(16, n, generator=g) * 5 for l, n in h.sizes.items()}
    y = h.labels(torch.randint(0, 100, (16,), generator=g))
    for hw in [(1., 1., 1.), (2., 0.5, 0.), (0., 1., 1.)]:
        torch.testing.assert_close(ScratchCE(h, hw)(out, y), MultiHeadCE(h, hw)(out, y))
    assert ScratchCE(h)({k: v.bfloat16() for k, v in out.items()}, y).dtype == torch.float32
    with pytest.raises(ValueError, match='head weights'): ScratchCE(h, (0., 0., 0.))

OPTIONS = [dict(), dict(momentum=0.9), dict(momentum=0.9, weight_decay=5e-4), dict(weight_decay=1e-2),
           dict(momentum=0.9, nesterov=True), dict(momentum=0.9, nesterov=True, weight_decay=5e-4), dict(momentum=0.5, dampening=0.3)]

@pytest.mark.parametrize('opts', OPTIONS, ids=lambda o: ','.join(f'{k}={v}' for k, v in o.items()) or 'plain')
def test_sgd_matches_torch_over_50_steps(opts):
    h = Hierarchy.flat([f'c{i}' for i in range(5)])
    torch.manual_seed(0)
    m1 = multihead_cnn(h, widths=(4, 8, 8), fc=16, p_conv=0., p_fc=0., size=8); m2 = copy.deepcopy(m1)
    w0 = copy.deepcopy(m1.state_dict())
    o1, o2 = SGD(m1.parameters(), lr=0.05, **opts), torch.optim.SGD(m2.parameters(), lr=0.05, **opts)
    g = torch.Generator().manual_seed(1)
    for _ in range(50):
        x, y = torch.randn(8, 3, 8, 8, generator=g), torch.randint(0, 5, (8,), generator=g)
        for m, o in ((m1, o1), (m2, o2)):
            o.zero_grad(); F.cross_entropy(m(x)['fine'], y).backward(); o.step()
    for k, v in m1.state_dict().items():
        assert torch.equal(v, m2.state_dict()[k]), k                # bit for bit
    assert max((m1.state_dict()[k] - v).abs().max() for k, v in w0.items() if v.is_floating_point()) > 1e-3   # and they moved
    if opts.get('momentum'):
        for p1, p2 in zip(m1.parameters(), m2.parameters()):
            assert torch.equal(o1.state[p1]['momentum_buffer'], o2.state[p2]['momentum_buffer'])

def test_sgd_by_formula():
    w = torch.nn.Parameter(torch.tensor([1., 2.]))
    opt = SGD([w], lr=0.1, momentum=0.5, weight_decay=0.1, nesterov=True)
    for step in range(2):
        w.grad = torch.tensor([1., -1.]); opt.step()
    # step 1: g = (1.1, -0.8), b = g, w -= 0.1 (g + 0.5 b) = 0.1 * (1.65, -1.2) → (0.835, 2.12)
    # step 2: g = (1, -1) + 0.1 w = (1.0835, -0.788); b = 0.5 (1.1, -0.8) + g = (1.6335, -1.188); w -= 0.1 (g + 0.5 b)
    torch.testing.assert_close(w.detach(), torch.tensor([0.835 - 0.1 * (1.0835 + 0.81675), 2.12 - 0.1 * (-0.788 - 0.594)]))

def test_sgd_skips_params_without_grad_and_closure():
    a, b = torch.nn.Parameter(torch.ones(2)), torch.nn.Parameter(torch.ones(2))
    opt = SGD([a, b], lr=1.)
    loss = opt.step(lambda: (a * 3).sum().backward() or torch.tensor(7.))
    assert loss.item() == 7. and torch.equal(a.detach(), torch.tensor([-2., -2.])) and torch.equal(b.detach(), torch.ones(2))

@pytest.mark.parametrize('kw, msg', [
    (dict(lr=-0.1), 'SGD: lr must be a number ≥ 0, got -0.1'),
    (dict(lr=float('inf')), 'SGD: lr must be a number ≥ 0, got inf'),
    (dict(lr='0.1'), "SGD: lr must be a number ≥ 0, got '0.1'"),
    (dict(lr=0.1, momentum=-0.9), 'SGD: momentum must be a number ≥ 0, got -0.9'),
    (dict(lr=0.1, dampening=float('nan')), 'SGD: dampening must be a number ≥ 0, got nan'),
    (dict(lr=0.1, weight_decay=-1e-4), 'SGD: weight_decay must be a number ≥ 0, got -0.0001'),
    (dict(lr=0.1, nesterov=True), 'SGD: nesterov=True needs momentum > 0 and dampening = 0, got momentum=0.0, dampening=0.0'),
    (dict(lr=0.1, momentum=0.9, dampening=0.1, nesterov=True), 'got momentum=0.9, dampening=0.1'),
])
def test_sgd_bad_arguments(kw, msg):
    with pytest.raises(ValueError) as e: SGD([torch.nn.Parameter(torch.ones(1))], **kw)
    assert msg in str(e.value) and str(e.value).startswith('SGD: ')
    assert len(str(e.value).splitlines()) == 1

def test_sgd_bad_group_and_added_group():
    p, q = torch.nn.Parameter(torch.ones(1)), torch.nn.Parameter(torch.ones(1))
    with pytest.raises(ValueError, match='SGD: lr must be a number ≥ 0, got -1'): SGD([{'params': [p], 'lr': -1}], lr=0.1)
    opt = SGD([p], lr=0.1)
    with pytest.raises(ValueError, match='SGD: momentum must be'): opt.add_param_group({'params': [q], 'momentum': -1})

def test_sgd_state_dict_round_trip_and_torch_state():
    torch.manual_seed(0)
    lin = torch.nn.Linear(4, 3); x, y = torch.randn(8, 4), torch.randint(0, 3, (8,))
    def steps(opt, n):
        for _ in range(n): opt.zero_grad(); F.cross_entropy(lin(x), y).backward(); opt.step()
    ref = torch.optim.SGD(lin.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-3)
    steps(ref, 3)
    start, saved = copy.deepcopy(lin.state_dict()), copy.deepcopy(ref.state_dict())
    mine = SGD(lin.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-3); mine.load_state_dict(copy.deepcopy(saved))
    steps(mine, 4); after = copy.deepcopy(lin.state_dict())
    lin.load_state_dict(start); steps(ref, 4)
    assert all(torch.equal(after[k], v) for k, v in lin.state_dict().items())
    sd = mine.state_dict()
    assert set(sd['state'][0]) == {'momentum_buffer'} and sd['param_groups'][0]['momentum'] == 0.9
    again = SGD(lin.parameters(), lr=1.); again.load_state_dict(copy.deepcopy(sd))
    assert again.param_groups[0]['lr'] == 0.1 and torch.equal(again.state[lin.weight]['momentum_buffer'], mine.state[lin.weight]['momentum_buffer'])

def _parts(n_classes=5, size=8):
    h = Hierarchy.flat([f'c{i}' for i in range(n_classes)])
    d = synthetic_images(h, 24, 6, seed=0, size=size)
    return Part(*d['train'], h), Part(*d['test'], h), h

@pytest.mark.parametrize('sched', [None, 'onecycle'])
def test_learner_with_scratch_sgd_and_ce(sched):
    tr, va, h = _parts()
    dls = DataLoaders.from_parts(tr, va, bs=20, device='cpu', augment=False, mean=(.5,) * 3, std=(.25,) * 3)
    set_seed(0)
    model = multihead_cnn(h, widths=(8, 16, 16), fc=32, size=8, p_conv=0., p_fc=0.)
    opt_func = SGD if sched is None else functools.partial(SGD, momentum=0.9, nesterov=True)
    learn = Learner(model, dls, ScratchCE(h), h, lr=0.05, opt_func=opt_func, precision='fp32', cbs=[SchedCB(sched)] if sched else [])
    learn.fit(4)
    assert isinstance(learn.opt, SGD) and learn.opt.param_groups[0]['weight_decay'] == 5e-4   # the Learner's wd reached it
    losses = [r['train_loss'] for r in learn.history]
    assert losses[-1] < 0.7 * losses[0]                                                      # 1.63 → 0.94 (plain), 1.66 → 0.66 (one-cycle)
    if sched: assert learn.history[-1]['lr'] < 0.05 / 100                                       # the schedule drove our lr down
