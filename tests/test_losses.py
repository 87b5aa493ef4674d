import math
import pytest
import torch
import torch.nn.functional as F
from hiercifar.hierarchy import Hierarchy
from hiercifar.losses import *
from hiercifar.models import get_model, MODELS, PRETRAINED

toy = Hierarchy(['f0', 'f1', 'f2', 'f3'], ['c0', 'c1'], [0, 0, 1, 1], {'g0': ['c0'], 'g1': ['c1']})
# a tree with all four LCA levels: g0 = {c0 = {f0, f1}, c1 = {f2}}, g1 = {c2 = {f3}}
toy3 = Hierarchy(['f0', 'f1', 'f2', 'f3'], ['c0', 'c1', 'c2'], [0, 0, 1, 2], {'g0': ['c0', 'c1'], 'g1': ['c2']})
P = torch.tensor([[0.5, 0.25, 0.125, 0.125]])
Z = {'fine': P.log()}

def y(t, hier=toy): return hier.labels(torch.tensor(t))

def test_multihead_by_hand():
    out = {'fine': torch.tensor([[2., 0, 0, 0], [0, 0, 0, 2]]), 'coarse': torch.tensor([[1., 0], [0, 0]]),
           'group': torch.zeros(2, 2)}
    yy = y([0, 1])
    ce_f = (math.log(1 + 3 * math.exp(-2)) + math.log(3 + math.exp(2))) / 2
    ce_c = (math.log(1 + math.exp(-1)) + math.log(2)) / 2
    assert MultiHeadCE(toy, (0.4, 0.3, 0.3))(out, yy).item() == pytest.approx(0.4 * ce_f + 0.3 * ce_c + 0.3 * math.log(2), abs=1e-6)
    assert get_loss('multihead', toy, head_weights=(1, 0, 0))(out, yy).item() == pytest.approx(ce_f, abs=1e-6)

def test_mistake_multipliers_all_levels():
    z = torch.full((4, 4), 0.); z[range(4), range(4)] = 2.     # predictions f0, f1, f2, f3; label f0 for all
    out, yy = {'fine': z}, y([0, 0, 0, 0], toy3)
    l = MistakeCE(toy3, multipliers=(1.5, 2, 4), head_weights=(1, 0, 0))
    assert l.factors(out, yy).tolist() == [1., 1.5, 2., 4.]
    right, wrong = math.log(1 + 3 * math.exp(-2)), math.log(math.exp(2) + 3)
    assert l(out, yy).item() == pytest.approx((right + 1.5 * wrong + 2 * wrong + 4 * wrong) / 4, abs=1e-6)
    with pytest.raises(ValueError, match='mistake multipliers'): l.multipliers = (1, 2)

def test_severity_forms_and_gradient():
    yy = y([0])
    z = P.log().clone().requires_grad_()
    l = SeverityLoss(toy3, weights=(1, 2, 3), lam=2., head_weights=(1, 0, 0))
    # p = (.5, .25, .125, .125); severities from f0: (0, 1, 2, 3) → expected 0.25 + 0.25 + 0.375 = 0.875
    loss = l({'fine': z}, yy)
    assert loss.item() == pytest.approx(math.log(2) + 2 * 0.875, abs=1e-6)
    loss.backward()
    S = torch.tensor([0., 1, 2, 3])
    expect = (P[0] - torch.tensor([1., 0, 0, 0])) + 2 * P[0] * (S - 0.875)
    assert torch.allclose(z.grad[0], expect, atol=1e-6)
    # the seeds' form: prediction f3 (other group, severity 3) → CE × (1 + 3)
    zp = torch.tensor([[0., 0, 0, 1]])
    lp = SeverityLoss(toy3, form='predicted', head_weights=(1, 0, 0))
    assert lp({'fine': zp}, yy).item() == pytest.approx(4 * F.cross_entropy(zp, torch.tensor([0])).item(), abs=1e-6)
    zr = zp.clone().requires_grad_(); lp({'fine': zr}, yy).backward()
    assert torch.allclose(zr.grad, 4 * (zp.softmax(-1) - torch.tensor([[1., 0, 0, 0]])), atol=1e-6)  # CE-shaped gradient

def test_severity_validation():
    l = SeverityLoss(toy)
    with pytest.raises(ValueError, match=r'shape \(4, 4\)'): l.matrix = torch.zeros(100, 100)
    with pytest.raises(ValueError, match='diagonal'): l.matrix = torch.ones(4, 4)
    with pytest.raises(ValueError, match='non-negative'): l.matrix = -torch.ones(4, 4).fill_diagonal_(0)
    with pytest.raises(ValueError, match='non-negative'): l.weights = (1, 2, -3)
    with pytest.raises(ValueError, match='λ'): l.lam = -1
    with pytest.raises(ValueError, match='form'): SeverityLoss(toy, form='argmax')
    l.matrix = torch.tensor([[0., 5, 1, 1], [1, 0, 1, 1], [1, 1, 0, 1], [1, 1, 1, 0]])   # a teacher's custom matrix
    assert l.weights is None and l.matrix[0, 1] == 5

def test_hxe_by_hand():
    yy = y([2], toy3)       # f2: superclass c1 (only f2), group g0 (f0, f1, f2)
    a = 0.3
    pg, pc, pf = 0.875, 0.125, 0.125
    expect = -(math.exp(-a) * math.log(pg) + math.exp(-2 * a) * math.log(pc / pg) + math.exp(-3 * a) * math.log(pf / pc))
    assert HXELoss(toy3, alpha=a, head_weights=(1, 0, 0))(Z, yy).item() == pytest.approx(expect, abs=1e-6)
    assert HXELoss(toy3, alpha=0, head_weights=(1, 0, 0))(Z, yy).item() == pytest.approx(-math.log(0.125), abs=1e-6)

def test_hxe_authors_normalisation():
    # the authors divide exp(-α·depth) by its sum over every node, root included: toy3 has 1 + 2 + 3 + 4 nodes
    a = 0.3
    Zt = 1 + 2 * math.exp(-a) + 3 * math.exp(-2 * a) + 4 * math.exp(-3 * a)
    assert hxe_normalizer(toy3, a) == pytest.approx(Zt)
    h = Hierarchy.cifar100()
    assert hxe_normalizer(h, 0.1) == pytest.approx(1 + 9 * math.exp(-0.1) + 20 * math.exp(-0.2) + 100 * math.exp(-0.3))
    assert round(hxe_normalizer(h, 0.1), 1) == 99.6 and hxe_normalizer(h, 0) == 130
    ours = HXELoss(toy3, alpha=a, head_weights=(1, 0, 0))
    theirs = HXELoss(toy3, alpha=a, head_weights=(1, 0, 0), normalize='authors')
    assert theirs.weights() == pytest.approx(tuple(math.exp(-a * d) / Zt for d in (1, 2, 3)))
    # loss and gradients: hiercifar's = Z(α) × the authors'
    z1, z2 = P.log().clone().requires_grad_(), P.log().clone().requires_grad_()
    lo, lt = ours({'fine': z1}, y([2], toy3)), theirs({'fine': z2}, y([2], toy3))
    assert lo.item() == pytest.approx(Zt * lt.item(), rel=1e-6)
    lo.backward(); lt.backward()
    assert torch.allclose(z1.grad, Zt * z2.grad, atol=1e-6)
    assert get_loss('hxe', toy3, normalize='authors').normalize == 'authors'
    with pytest.raises(ValueError, match="normalize must be None or 'authors'"): HXELoss(toy3, normalize=True)

def test_soft_labels_by_hand():
    # the authors' make_all_soft_labels: q ∝ exp(-β·d/d_max); toy3's LCA levels from f0 are 0, 1, 2, 3 and d_max = 3
    l = SoftLabelLoss(toy3, beta=2., head_weights=(1, 0, 0))
    q = torch.exp(-2 * torch.tensor([0., 1, 2, 3]) / 3); q /= q.sum()
    assert torch.allclose(l.targets(torch.tensor([0]))[0], q)
    assert l(Z, y([0], toy3)).item() == pytest.approx(-(q * P[0].log()).sum().item(), abs=1e-6)
    big = SoftLabelLoss(toy3, beta=50., head_weights=(1, 0, 0))(Z, y([0], toy3)).item()
    assert big == pytest.approx(math.log(2), abs=1e-6)     # β → ∞ is cross-entropy
    # d_max is the tree's own: toy (LCA levels 0, 1, 3 only) also has d_max = 3; one group only gives d_max = 2
    assert SoftLabelLoss(toy).dmax == 3 and SoftLabelLoss(toy3.with_groups({'g': ['c0', 'c1', 'c2']})).dmax == 2

def test_soft_labels_on_cifar100_match_the_paper():
    # the mass on the true class `apple` (4 siblings, 10 more in its group, 85 elsewhere), as the authors' code gives it
    h = Hierarchy.cifar100()
    a = h.fine_names.index('apple')
    got = [SoftLabelLoss(h, beta=b).targets(torch.tensor([a]))[0, a].item() for b in (1, 4, 10, 30)]
    by_formula = [1 / (1 + 4 * math.exp(-b / 3) + 10 * math.exp(-2 * b / 3) + 85 * math.exp(-b)) for b in (1, 4, 10, 30)]
    assert got == pytest.approx(by_formula, rel=1e-5)
    assert got == pytest.approx([0.02483, 0.23223, 0.86260, 0.99982], abs=1e-5)

def test_consistency_by_hand():
    out = {'fine': P.log(), 'coarse': torch.zeros(1, 2), 'group': torch.tensor([[math.log(3), 0.]])}
    c = ConsistencyLoss(toy, gamma=0.5).consistency(out)
    kl_c = 0.75 * math.log(0.75 / 0.5) + 0.25 * math.log(0.25 / 0.5)
    assert c.item() == pytest.approx(kl_c, abs=1e-6)       # the group head agrees: its KL is 0
    full = ConsistencyLoss(toy, gamma=0.5)(out, y([0]))
    assert full.item() == pytest.approx(MultiHeadCE(toy)(out, y([0])).item() + 0.5 * kl_c, abs=1e-6)

def test_focal_and_class_balanced():
    assert focal(P.log(), torch.tensor([0]), gamma=2).item() == pytest.approx(0.25 * math.log(2), abs=1e-6)
    w = class_balanced_weights(torch.tensor([1000, 100, 10]), beta=0.99)
    raw = torch.tensor([0.01 / (1 - 0.99 ** n) for n in (1000, 100, 10)])
    assert torch.allclose(w, raw / raw.sum() * 3, atol=1e-6)
    fl = FocalLoss(toy, gamma=0., counts=torch.tensor([30, 10, 10, 10]), beta=0.9)
    assert torch.allclose(fl.class_weights['coarse'], class_balanced_weights(torch.tensor([40, 20]), 0.9))
    with pytest.raises(ValueError, match='β'): class_balanced_weights(torch.tensor([1]), 1.0)

def test_registry_and_head_weights():
    assert set(LOSSES) >= {'multihead', 'hce', 'severity', 'hxe', 'soft', 'consistency', 'focal'}
    with pytest.raises(ValueError, match="unknown loss 'mse'"): get_loss('mse', toy)
    with pytest.raises(ValueError, match='cannot all be zero'): MultiHeadCE(toy, (0, 0, 0))
    l = get_loss('severity', toy, weights=(1, 2, 5), lam=0.5)
    assert l.weights == (1., 2., 5.) and l.lam == 0.5

@pytest.mark.parametrize('model', [m for m in MODELS if m not in PRETRAINED])   # the pretrained ones need ImageNet weights: tests/test_next_steps.py
def test_every_model_with_every_loss(model):
    from hiercifar.data import synthetic_cifar100, Part, Loader
    h = Hierarchy.cifar100()
    x, fine = synthetic_cifar100(1, 0, seed=1)['train']
    xb, yb = next(iter(Loader(Part(x[:8], fine[:8], h), bs=8, device='cpu')))
    torch.manual_seed(0)
    m = get_model(model, h)
    for name in LOSSES:
        m.zero_grad()
        loss = get_loss(name, h)(m(xb), yb)
        loss.backward()
        assert torch.isfinite(loss) and loss.item() > 0, name
        assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in m.parameters() if p.requires_grad), name

def test_device_copies_are_cached():
    from hiercifar.models import _member_mask
    h = Hierarchy.cifar100()
    assert _member_mask(h, 'coarse', 'cpu') is _member_mask(h, 'coarse', 'cpu')
    l = SeverityLoss(h)
    a = l.on('S', l.matrix, 'meta')
    assert a is l.on('S', l.matrix, 'meta') and a.device.type == 'meta'
    l.weights = (1, 2, 9)                       # new weights: the cached copy is dropped
    assert l.on('S', l.matrix, 'meta') is not a

def test_scalar_settings_validate_on_assignment():
    for cls, name in ((SeverityLoss, 'lam'), (HXELoss, 'alpha'), (SoftLabelLoss, 'beta'), (ConsistencyLoss, 'gamma'), (FocalLoss, 'gamma')):
        l = cls(toy)
        setattr(l, name, 0.25)
        assert getattr(l, name) == 0.25
        with pytest.raises(ValueError, match='non-negative'): setattr(l, name, -1)
        assert getattr(l, name) == 0.25            # a refused value leaves the old one

def focal_ref(z, y, g):
    "Focal loss in float64 through p_y = 1/(1+s), s = Σ_{j≠y} exp(z_j - z_y): no 1 - p is formed, exact to |margin| ~ 700."
    s = (z - z.gather(1, y[:, None])).exp().scatter(1, y[:, None], 0.).sum(-1)
    return ((s / (1 + s)) ** g * torch.log1p(s)).mean()

@pytest.mark.parametrize('gamma', [0., 0.25, 0.5, 1., 2.])
@pytest.mark.parametrize('margin', [0., 5., 20., 100., -20., -100.])
@pytest.mark.parametrize('C', [2, 5, 100])
def test_focal_stable_against_float64(gamma, margin, C):
    g = torch.Generator().manual_seed(C)
    base, y = torch.randn(4, C, generator=g) * 2, torch.tensor([0, 1, C - 1, 1 % C])
    others = base.scatter(1, y[:, None], -math.inf).amax(-1)
    base = base.scatter(1, y[:, None], (others + margin)[:, None])          # z_y - max_{j≠y} z_j = margin
    z, zd = base.clone().requires_grad_(), base.double().requires_grad_()
    l, lr = focal(z, y, gamma), focal_ref(zd, y, gamma)
    l.backward(); lr.backward()
    assert torch.isfinite(l) and torch.isfinite(z.grad).all()
    # the loss's relative condition number in z is about (1 + γ)·|z|: 4 float32 steps of that (measured worst: 1 step);
    # values below float32's smallest normal number can only be rounded absolutely
    f = torch.finfo(torch.float32)
    rtol = 4 * f.eps * (1 + gamma) * (1 + base.abs().max().item())
    assert abs(l.item() - lr.item()) <= rtol * abs(lr.item()) + f.tiny
    assert ((z.grad.double() - zd.grad).abs() <= rtol * zd.grad.abs() + f.tiny).all()
    if gamma == 0:   # γ = 0 is cross-entropy (float64's: float32's own rounds to 0 once p_y rounds to 1)
        assert abs(l.item() - F.cross_entropy(base.double(), y).item()) <= rtol * abs(lr.item()) + f.tiny

def test_focal_gamma_below_one_confident_gives_finite_gradient():
    "The issue's case: γ = 0.5 and p_y rounding to 1 in float32 gave NaN; the true gradient is -σ(-20)^1.5 (1 + σ(20)/2)."
    z = torch.tensor([[20., 0.]], requires_grad=True)
    focal(z, torch.tensor([0]), gamma=0.5).backward()
    s = 1 / (1 + math.exp(20))
    assert z.grad[0, 0].item() == pytest.approx(-s ** 0.5 * (0.5 * (1 - s) * math.log1p(math.exp(-20)) + s), rel=1e-5)
    assert focal(torch.zeros(3, 1), torch.zeros(3, dtype=torch.long), 0.5).item() == 0   # one class: nothing to lose
