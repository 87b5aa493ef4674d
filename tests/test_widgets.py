"Headless tests of the widgets: set slider values, let the observers fire, check what they show."
import pytest
import torch
from hiercifar.hierarchy import Hierarchy
from hiercifar.metrics import Preds, crm_predict
from hiercifar.widgets import *
from hiercifar.data import synthetic_cifar100, Part, Cifar100

h = Hierarchy.cifar100()
f = h.fine_names.index

def fake_preds(n=400, seed=0):
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 100, (n,), generator=g)
    # a model whose doubts follow the hierarchy: some mass on the superclass and the group of the truth
    same_c = (h.fine2coarse[y][:, None] == h.fine2coarse[None]).float()
    same_g = (h.fine2group[y][:, None] == h.fine2group[None]).float()
    logits = torch.randn(n, 100, generator=g) + 1.5 * same_g + 1.0 * same_c
    logits[torch.arange(n), y] += 1.5
    return Preds({'fine': logits, 'coarse': torch.randn(n, 20, generator=g), 'group': torch.randn(n, 9, generator=g)}, h.labels(y), h)

def test_severity_build_and_validation():
    s = Severity.build(h, (0.5, 1, 4), (1, 3, 9), [('group', 'plants', 'vehicles', 10.)])
    assert s.matrix[f('rose'), f('bus')] == 10 and s.matrix[f('bus'), f('rose')] == 10
    assert s.matrix[f('rose'), f('tulip')] == 0.5 and s.matrix[f('rose'), f('whale')] == 4
    assert s.multipliers == (1., 3., 9.) and (s.matrix.diag() == 0).all()
    with pytest.raises(ValueError, match='non-negative'): Severity.build(h, (1, -1, 2))
    with pytest.raises(ValueError, match='two different'): Severity.build(h, overrides=[('coarse', 'fish', 'fish', 1)])
    with pytest.raises(ValueError, match="unknown group 'fish'"): Severity.build(h, overrides=[('group', 'fish', 'people', 1)])
    with pytest.raises(ValueError, match='custom cost'): Severity.build(h, overrides=[('coarse', 'fish', 'people', -2)])

def test_losses_and_metrics_accept_the_value():
    from hiercifar.losses import SeverityLoss, MistakeCE
    from hiercifar.metrics import evaluate
    s = Severity.build(h, (1, 2, 7), (1, 3, 5))
    assert torch.equal(SeverityLoss(h, matrix=s).matrix, s.matrix)
    assert MistakeCE(h, multipliers=s).multipliers == (1., 3., 5.)
    p = fake_preds()
    assert evaluate(p, S=s) == evaluate(p, S=(1, 2, 7))

def test_describe():
    assert 'plain cross-entropy' in describe(Severity.build(h, (0, 0, 0)))
    assert 'hierarchy is ignored' in describe(Severity.build(h, (2, 2, 2)))
    assert 'rewards confusing distant' in describe(Severity.build(h, (3, 2, 1)))
    assert '3.0×' in describe(Severity.build(h, (1, 2, 3)))

def test_designer_sliders_drive_the_matrix():
    seen = []
    d = SeverityDesigner(h, on_change=seen.append)
    png0 = d.heat.value
    d.w[0].value = 0.5; d.w[2].value = 8.
    assert d.value.weights == (0.5, 2., 8.) and d.value.matrix[f('oak_tree'), f('rocket')] == 8.
    assert d.heat.value != png0 and d.heat.value[:4] == b'\x89PNG' and '16.0×' in d.text.value
    d.m[2].value = 6.
    assert d.value.multipliers == (1., 2., 6.) and seen[-1] is d.value
    d.level.value = 'coarse'; d.a.value, d.b.value, d.cost.value = 'trees', 'flowers', 0.25
    d._set_pair()
    assert d.value.matrix[f('oak_tree'), f('rose')] == 0.25 and d.value.overrides == (('coarse', 'trees', 'flowers', 0.25),)
    d.b.value = 'trees'; d._set_pair()                     # invalid: refused with the reason, value kept
    assert 'two different' in d.msg.value and len(d.value.overrides) == 1
    d._reset()
    assert d.value.overrides == () and d.value.matrix[f('oak_tree'), f('rose')] == 2.
    assert 'Static snapshot' in d._repr_mimebundle_()['text/html']

def test_lab_syncs_whatif_with_designer():
    g = synthetic_cifar100(2, 1, seed=0)
    lab = severity_lab(Cifar100(Part(*g['train'], h), Part(*g['test'], h), h), fake_preds())
    lab.designer.w[2].value = 7.
    assert lab.whatif.w[2].value == 7. and [t for t, _ in lab.parts] == ['1. design', '2. what if?', '3. train & compare']
    b = lab._repr_mimebundle_()
    assert 'application/vnd.jupyter.widget-view+json' in b and '2. what if?' in b['text/html']

def test_whatif_recomputes():
    p = fake_preds()
    wi = WhatIf(p)
    s0, html0 = wi.stats, wi.out.value
    assert s0['argmax']['acc_fine'] == (p.out['fine'].argmax(-1) == p.y['fine']).float().mean().item()
    assert torch.equal(crm_predict(p.out['fine'], h.severity(1, 2, 3)), (p.probs @ h.severity()).argmin(-1))
    wi.w[2].value = 10.
    assert wi.out.value != html0 and wi.stats['argmax']['acc_fine'] == s0['argmax']['acc_fine']
    # CRM with a huge cross-group cost makes fewer cross-group mistakes than argmax
    assert wi.stats['crm']['levels'][3] < wi.stats['argmax']['levels'][3]
    assert abs(sum(wi.stats['crm']['levels']) - 1) < 1e-6
    assert 'recomputed in' in wi.out.value and wi.ms < 1000

def test_whatif_takes_a_learned_matrix():
    p = fake_preds()
    S = h.severity(1, 2, 3).clone(); S[S == 3] = 9.          # a 'learned' matrix: cross-group mistakes much worse
    wi = WhatIf(p, matrix=S)
    assert wi.source.value == 'level weights' and wi.box.children[1] is wi.source
    levels = wi.stats
    wi.source.value = 'learned matrix'
    assert all(x.disabled for x in wi.w) and wi.stats != levels
    want = (p.probs @ S).argmin(-1)
    assert wi.stats['crm']['acc_fine'] == (want == p.y['fine']).float().mean().item()
    with pytest.raises(ValueError): WhatIf(p, matrix=-S)

@pytest.fixture(scope='module')
def tiny_data():
    g = synthetic_cifar100(6, 2, seed=0)
    return Cifar100(Part(*g['train'], h), Part(*g['test'], h), h, synthetic=True)

def test_train_panel_runs_and_refuses_second_click(tiny_data):
    lab = severity_lab(tiny_data, model_kwargs=dict(widths=(8, 16, 16), fc=32), device='cpu')
    panel = lab.panel
    panel.epochs.value, panel.n.value = 1, 5
    lab.designer.w[2].value = 6.
    assert panel.start(block=True) and panel.error is None
    assert len(panel.runs) == 1 and panel.runs[0]['weights'] == (1., 2., 6.) and panel.runs[0]['loss'] == 'severity'
    assert panel.runs[0]['multipliers'] is None
    # scored on the common reference (1, 2, 3) and on its own weights: the two differ once a weight differs
    r = panel.runs[0]
    assert r['own_avg_severity'] >= r['avg_severity'] and r['own_avg_severity'] > 0
    assert panel.curve.layout.display is None and panel.plot.layout.display is None   # shown once they have a picture
    assert panel.epoch_bar.value == 1 and panel.curve.value[:4] == b'\x89PNG' and 'class_acc' in panel.table.value
    # a click while a run is going is refused
    panel.button.click()                                   # starts a background run...
    assert panel.busy
    panel.button.click()                                   # ...so this one is refused
    assert 'already in progress' in panel.msg.value
    panel.thread.join(60)
    assert not panel.busy and len(panel.runs) == 2 and panel.error is None

def test_panels_agree_on_weights_and_hide_empty_images(tiny_data):
    lab = severity_lab(tiny_data, fake_preds())
    for a, b in zip(lab.designer.w, lab.whatif.w): assert (a.min, a.max, a.step) == (b.min, b.max, b.step)
    lab.designer.w[2].value = 8.3
    assert lab.whatif.w[2].value == 8.3                    # not rounded to another step
    p = lab.panel
    assert p.curve.layout.display == 'none' and p.plot.layout.display == 'none'   # no broken-image icon before a run
    assert p.n.style.description_width == 'initial'        # the "images/class" label is not cut

def test_train_panel_hce_uses_the_multipliers(tiny_data, monkeypatch):
    import hiercifar.widgets as wmod
    seen = []
    class Spy(wmod.MistakeCE):
        def __init__(self, *a, **k): super().__init__(*a, **k); seen.append(self.multipliers)
    monkeypatch.setattr(wmod, 'MistakeCE', Spy)
    lab = severity_lab(tiny_data, model_kwargs=dict(widths=(8, 16, 16), fc=32), device='cpu')
    lab.designer.m[2].value = 7.
    lab.panel.loss.value, lab.panel.epochs.value, lab.panel.n.value = 'hce', 1, 5
    assert lab.panel.start(block=True) and lab.panel.error is None
    assert seen == [(1., 2., 7.)]
    r = lab.panel.runs[0]
    assert r['loss'] == 'hce' and r['multipliers'] == (1., 2., 7.) and 'hce' in lab.panel.table.value

def test_train_panel_reports_errors(tiny_data):
    panel = severity_lab(tiny_data, model_kwargs=dict(widths=(8, 16, 16), fc=32, bogus=1), device='cpu').panel
    panel.epochs.value, panel.n.value = 1, 5
    panel.start(block=True)
    assert panel.error is not None and 'Training failed' in panel.msg.value and not panel.busy
