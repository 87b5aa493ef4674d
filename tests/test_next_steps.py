"Learned severities, learned level weights, pretrained backbones (loaded from a local file; offline in one line), the plotly confusion matrix."
import os
import pytest
import torch
from hiercifar.hierarchy import Hierarchy, level_order, boundaries
from hiercifar.losses import SeverityLoss, LOSSES, get_loss, check_severity
from hiercifar.metrics import Preds, evaluate, crm_predict, confusion, compare_rules
from hiercifar.models import get_model, MODELS, PRETRAINED, param_summary
from hiercifar.next_steps import *

h = Hierarchy.cifar100()

def fake_preds(n_per=3, seed=0, sharp=2.):
    "Logits that favour the true class and, less, its superclass: a model whose confusions follow the tree."
    g = torch.Generator().manual_seed(seed)
    y = torch.arange(100).repeat_interleave(n_per)
    same_c = (h.fine2coarse[y][:, None] == h.fine2coarse[None]).float()
    z = sharp * torch.nn.functional.one_hot(y, 100) + 1.5 * same_c + torch.randn(len(y), 100, generator=g)
    return Preds({'fine': z}, h.labels(y), h)

def test_learned_matrices_are_valid_severities():
    p = fake_preds()
    for S in (confusion_severity(p), embedding_severity(torch.randn(100, 16, generator=torch.Generator().manual_seed(0))),
              head_severity(get_model('cnn', h, widths=(8, 8, 8), fc=16))):
        assert check_severity(S, 100) is not None and torch.equal(S, S.T)
        off = S[~torch.eye(100, dtype=torch.bool)]
        assert off.min().item() == pytest.approx(1., abs=1e-5) and off.max().item() == pytest.approx(3., abs=1e-5)
        assert (S.diagonal() == 0).all()

def test_confusion_severity_follows_the_confusions():
    c = compare_severity(confusion_severity(fake_preds()), h)
    assert c['mean_lca1'] < c['mean_lca2'] and c['mean_lca1'] < c['mean_lca3']   # confused inside superclasses: cheap there
    assert c['mean_lca1'] + 0.5 < c['mean_lca2'] and c['pearson'] > 0.4         # superclass mates clearly cheaper than the rest
    assert compare_severity(h.severity(), h)['pearson'] == pytest.approx(1.)

def test_scale_severity_by_hand():
    S = scale_severity(torch.tensor([[0., 1., 3.], [1., 0., 2.], [3., 2., 0.]]))
    assert torch.allclose(S, torch.tensor([[0., 1., 3.], [1., 0., 2.], [3., 2., 0.]]))
    S = scale_severity(torch.tensor([[0., 2., 4.], [0., 0., 3.], [4., 3., 0.]]), lo=1, hi=2)   # symmetrised first: (1, 4, 3)
    assert torch.allclose(S, torch.tensor([[0., 1., 2.], [1., 0., 2 / 3 + 1], [2., 2 / 3 + 1, 0.]]))
    assert torch.equal(scale_severity(torch.ones(3, 3)), 2 * (1 - torch.eye(3)))
    with pytest.raises(ValueError, match='square'): scale_severity(torch.zeros(2, 3))
    with pytest.raises(ValueError, match='lo ≤ hi'): scale_severity(torch.ones(3, 3), lo=0)
    with pytest.raises(ValueError, match='every class'):
        confusion_severity(Preds({'fine': torch.zeros(2, 100)}, h.labels(torch.tensor([0, 1])), h))

def test_learned_matrix_accepted_everywhere():
    from hiercifar.widgets import Severity, decision_stats
    p = fake_preds()
    S = confusion_severity(p)
    loss = SeverityLoss(h, matrix=S)
    out = {'fine': torch.randn(4, 100, requires_grad=True), 'coarse': torch.randn(4, 20), 'group': torch.randn(4, 9)}
    y = h.labels(torch.tensor([0, 5, 50, 99]))
    l = loss(out, y); l.backward()
    assert torch.isfinite(l) and out['fine'].grad is not None
    assert torch.equal(SeverityLoss(h, matrix=Severity(matrix=S)).matrix, S)      # the designer's value, as TrainPanel passes it
    m = evaluate(p, S)
    f = p.out['fine'].argmax(-1)
    assert m['avg_severity'] == pytest.approx(S[p.y['fine'], f].mean().item())
    assert torch.equal(crm_predict(p.out['fine'], S), (p.probs @ S).argmin(-1))
    assert compare_rules(p, S).shape[1] == 2
    assert decision_stats(p.probs, p.y, h, f, S)['avg_severity'] == pytest.approx(m['avg_severity'])

def test_level_weights_cannot_collapse():
    lw = LevelWeights()
    assert torch.allclose(lw(), torch.tensor([1., 2., 3.]))
    with torch.no_grad(): lw.theta.copy_(torch.tensor([80., -80., -80.]))
    assert lw().sum().item() == pytest.approx(6.) and (lw() >= 0).all()
    with pytest.raises(ValueError, match='positive'): LevelWeights((0., 1., 2.))

@pytest.mark.parametrize('adversarial', [True, False])
def test_learned_levels_move_the_right_way(adversarial):
    "All mistakes across groups: ascent raises w3, descent lowers it; the total stays 6."
    torch.manual_seed(0)
    loss = LearnedLevelLoss(h, adversarial=adversarial, rate=0.5, anchor=0.)
    y = h.labels(torch.zeros(8, dtype=torch.long))
    far = (h.lca[0] == 3).nonzero()[0, 0]
    z = torch.zeros(8, 100); z[:, far] = 5.                        # the model puts its mass on a cross-group class
    for _ in range(5):
        loss({'fine': z, 'coarse': torch.zeros(8, 20), 'group': torch.zeros(8, 9)}, y).backward(); loss.step()
    w = loss.weights
    assert sum(w) == pytest.approx(6., abs=1e-5)
    assert (w[2] > 3.) == adversarial and (w[2] < 3.) == (not adversarial)
    assert torch.allclose(loss.matrix, h.severity(*w), atol=1e-5)

def test_learned_levels_train_with_config_and_resume(data, tmp_path):
    from hiercifar.experiments import Config, train
    assert LOSSES['learned_levels'] is LearnedLevelLoss
    cfg = Config(loss='learned_levels', loss_kwargs={'rate': 0.2}, model_kwargs={'widths': (8, 16, 16), 'fc': 32}, epochs=1, bs=128,
                 device='cpu', precision='fp32')
    learn, m = train(cfg, data, tmp_path/'r', progress=False)
    w = learn.loss_func.weights
    assert w != (1., 2., 3.) and sum(w) == pytest.approx(6., abs=1e-4)          # trained with the model
    assert [learn.history[-1][k] for k in ('w1', 'w2', 'w3')] == pytest.approx(list(w))
    learn2, _ = train(cfg, data, tmp_path/'r', progress=False, verbose=False)     # finished: read back from the checkpoint
    assert learn2.loss_func.weights == pytest.approx(w)

def test_pretrained_offline_is_one_line(monkeypatch, tmp_path):
    monkeypatch.setenv('HIERCIFAR_OFFLINE', '1')
    monkeypatch.setenv('TORCH_HOME', str(tmp_path))                               # an empty cache
    for name, arch in PRETRAINED.items():
        with pytest.raises(PretrainedWeightsError) as e: get_model(name, h)
        msg = str(e.value)
        assert '\n' not in msg and 'HIERCIFAR_OFFLINE' in msg and str(tmp_path/'hub'/'checkpoints') in msg and 'weights_path' in msg
    with pytest.raises(PretrainedWeightsError, match='not a file'): get_model('resnet18_imagenet', h, weights_path=tmp_path/'none.pth')

def test_pretrained_loads_a_local_state_dict(tmp_path):
    import torchvision
    torch.manual_seed(0)
    tv = torchvision.models.resnet18()
    torch.save(tv.state_dict(), tmp_path/'r18.pth')
    m = get_model('resnet18_imagenet', h, weights_path=tmp_path/'r18.pth', freeze=True, resize=64).eval()
    sd = {k: v for k, v in tv.state_dict().items() if not k.startswith('fc.')}
    got = m.body[1].net.state_dict()
    assert set(got) == set(sd) and all(torch.equal(got[k], sd[k]) for k in sd)
    out = m(torch.randn(2, 3, 32, 32))
    assert {k: tuple(v.shape) for k, v in out.items()} == {'fine': (2, 100), 'coarse': (2, 20), 'group': (2, 9)}
    ps = param_summary(m)
    assert ps.loc['body', 'trainable'] == 0 and ps.loc['total', 'trainable'] == 512 * 129 + 129
    m.train(); assert not m.body[1].net.training and m.heads.training            # frozen batch norm stays in eval mode
    torch.save({'not': torch.zeros(1)}, tmp_path/'bad.pth')
    with pytest.raises(PretrainedWeightsError, match='do not fit'): get_model('resnet18_imagenet', h, weights_path=tmp_path/'bad.pth')
    import pickle
    (tmp_path/'evil.pth').write_bytes(pickle.dumps(object()))
    with pytest.raises(PretrainedWeightsError, match='cannot read'): get_model('resnet18_imagenet', h, weights_path=tmp_path/'evil.pth')

def test_efficientnet_from_local_file_and_random(tmp_path):
    import torchvision
    torch.manual_seed(0)
    tv = torchvision.models.efficientnet_b0()
    torch.save(tv.state_dict(), tmp_path/'e.pth')
    m = get_model('efficientnet_b0_imagenet', h, weights_path=tmp_path/'e.pth', resize=32).eval()
    assert torch.equal(m.body[1].net.features[0][0].weight, tv.features[0][0].weight)
    assert m(torch.randn(2, 3, 32, 32))['fine'].shape == (2, 100)
    assert get_model('resnet18_imagenet', h, weights=None)(torch.randn(1, 3, 32, 32))['group'].shape == (1, 9)   # no file needed

def test_imagenet_input_normalisation():
    from hiercifar.data import CIFAR100_MEAN, CIFAR100_STD
    inp = ImageNetInput(size=8)
    raw = torch.rand(2, 3, 8, 8)                                                  # pixels in [0, 1]
    m, s = torch.tensor(CIFAR100_MEAN).view(1, 3, 1, 1), torch.tensor(CIFAR100_STD).view(1, 3, 1, 1)
    im, ist = torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1), torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)
    assert torch.allclose(inp((raw - m) / s), (raw - im) / ist, atol=1e-5)
    assert ImageNetInput(size=16)(torch.zeros(1, 3, 8, 8)).shape == (1, 3, 16, 16)

def test_pretrained_names_pass_config_without_download(monkeypatch, tmp_path):
    from hiercifar.experiments import Config
    monkeypatch.setenv('HIERCIFAR_OFFLINE', '1'); monkeypatch.setenv('TORCH_HOME', str(tmp_path))
    assert Config(model='resnet18_imagenet', model_kwargs={'freeze': True}).model == 'resnet18_imagenet'   # shapes only (meta)

def test_confusion_figure_hover_equals_confusion():
    pytest.importorskip('plotly')
    p = fake_preds(seed=1)
    fig = confusion_figure(p, 'coarse')
    assert [t.visible for t in fig.data] == [False, True, False]
    for trace, l in zip(fig.data, h.levels):
        o = level_order(h, l)
        pred = p.out[l].argmax(-1)
        counts = confusion(pred, p.y[l], h.sizes[l], normalize=False)[o][:, o]
        assert torch.equal(torch.tensor(trace.customdata[..., 0]).float(), counts)
        assert torch.allclose(torch.tensor(trace.customdata[..., 1]).float(), confusion(pred, p.y[l], h.sizes[l])[o][:, o], atol=1e-4)
        assert list(trace.x) == list(trace.y) == [h.names(l)[i] for i in o.tolist()]
        assert 'true' in trace.hovertemplate and 'customdata[0]' in trace.hovertemplate
    menu = fig.layout.updatemenus[0]
    assert [b.label.split()[0] for b in menu.buttons] == list(h.levels)
    assert menu.buttons[0].args[0]['visible'] == [True, False, False]
    thin, thick = boundaries(h, 'fine')
    assert len(menu.buttons[0].args[1]['shapes']) == 2 * (len(thin) + len(thick))   # a vertical and a horizontal line each
    # one pair of axes for all levels (overlaid subplots hid the matrix); each button sets that level's categories and range
    assert {t.xaxis for t in fig.data} <= {None, 'x'} and {t.yaxis for t in fig.data} <= {None, 'y'}
    assert not {'xaxis2', 'yaxis2', 'xaxis3', 'yaxis3'} & set(fig.layout.to_plotly_json())
    assert list(fig.layout.yaxis.categoryarray) == list(fig.data[1].y) and tuple(fig.layout.yaxis.range) == (19.5, -.5)
    for b, trace in zip(menu.buttons, fig.data):
        n = len(trace.x)
        assert list(b.args[1]['xaxis.categoryarray']) == list(trace.x) and list(b.args[1]['yaxis.categoryarray']) == list(trace.y)
        assert b.args[1]['xaxis.range'] == [-.5, n - .5] and b.args[1]['yaxis.range'] == [n - .5, -.5]
    assert fig.layout.width <= 700                                                    # fits the docs' column
    assert 'plotly' in html_figure(fig).data

def test_confusion_explorer_cell_and_click():
    pytest.importorskip('anywidget'); pytest.importorskip('plotly')
    from hiercifar.data import Part
    p = fake_preds(n_per=1)
    part = Part(torch.zeros(100, 3, 32, 32, dtype=torch.uint8), p.y['fine'], h)
    ex = ConfusionExplorer(p, part, level='fine')
    f = p.out['fine'].argmax(-1)
    wrong = (f != p.y['fine']).nonzero().flatten()[0].item()
    t, a = h.fine_names[p.y['fine'][wrong]], h.fine_names[f[wrong]]
    idx = ex.cell('fine', t, a)
    assert wrong in idx.tolist() and torch.equal(idx, ((p.y['fine'] == p.y['fine'][wrong]) & (f == f[wrong])).nonzero().flatten())
    ex.click('fine', t, a)
    assert torch.equal(ex.shown, idx)
    with pytest.raises(ValueError, match='same order'): ConfusionExplorer(p, part[:10])
