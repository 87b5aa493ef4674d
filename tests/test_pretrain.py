"The pretraining lesson (course report 004): stacked autoencoders, greedy layer-wise pretraining through the Learner, the classifier on top."
import copy, functools, pytest, torch
from hiercifar.hierarchy import Hierarchy
from hiercifar.data import synthetic_images, Part, ImageData
from hiercifar.pretrain import (downsample, shrink, fc_autoencoder, conv_autoencoder, LayerAE, pretrain_layers, classifier,
                                fine_tune, pretrain_vs_scratch, reconstruction_error, REPORT_SIZES)

H = Hierarchy.stl10()

@functools.cache   # the tests only read it
def stl_like(size=16, n_train=20, n_test=10, n_unlabeled=200, seed=0):
    "A small STL-10-like data set in memory: labelled train and test parts, and unlabeled images drawn apart."
    d = synthetic_images(H, n_train, n_test, seed=seed, size=size)
    u = synthetic_images(H, n_unlabeled // 10, 0, seed=seed + 1, size=size)['train'][0]
    return ImageData(Part(*d['train'], H), Part(*d['test'], H), H, None, True, 'stl10', None, None, u)

def changed(before, sae): return {k for k, v in sae.state_dict().items() if not torch.equal(v, before[k])}

@pytest.mark.parametrize('make, k, layer', [(lambda: fc_autoencoder((32, 16, 8), size=16, pool=2), 1, 'encoders.1.0'),
                                            (lambda: conv_autoencoder((4, 8, 8), size=16, out=2), 2, 'encoders.2.0')])
def test_layerwise_training_changes_only_that_layer(make, k, layer):
    x = stl_like().unlabeled
    sae = make()
    before = copy.deepcopy(sae.state_dict())
    h = pretrain_layers(sae, x, epochs=2, bs=32, layers=[k])
    assert changed(before, sae) == {f'{layer}.weight', f'{layer}.bias', f'decoders.{k}.weight', f'decoders.{k}.bias'}
    assert h.layer.unique().tolist() == [k + 1]
    assert all(p.requires_grad for p in sae.parameters())        # trainable again afterwards

def test_reconstruction_loss_decreases_layer_by_layer():
    x = stl_like().unlabeled
    sae = fc_autoencoder((64, 32), size=16)
    err0 = reconstruction_error(sae, x)
    h = pretrain_layers(sae, x, epochs=4, bs=32)
    for layer, g in h.groupby('layer'):
        assert g.valid_loss.iloc[-1] < g.valid_loss.iloc[0], (layer, g.valid_loss.tolist())
        assert g.train_loss.iloc[-1] < g.train_loss.iloc[0]
    err1 = reconstruction_error(sae, x)
    assert err1[0] < err0[0] and err1[1] < err0[1]
    assert err1[0] < 0.8                                        # of unit-variance pixels

def test_stacked_encoder_shapes():
    x = torch.randn(3, 3, 96, 96)
    fc = fc_autoencoder((64, 32, 16), size=96, pool=3)
    assert [tuple(fc.encode(x, k).shape) for k in range(4)] == [(3, 3072), (3, 64), (3, 32), (3, 16)]
    assert fc(x).shape == (3, 16) and fc.reconstruct(x, 3).shape == (3, 3, 32, 32)
    cv = conv_autoencoder((8, 16, 32), size=96)
    assert [tuple(cv.encode(x, k).shape[1:]) for k in range(4)] == [(3, 96, 96), (8, 48, 48), (16, 24, 24), (32, 12, 12)]
    assert cv(x).shape == (3, 32 * 16) and cv.reconstruct(x, 2).shape == (3, 3, 96, 96)
    with torch.device('meta'): rep = fc_autoencoder(REPORT_SIZES, 96)
    assert [e[0].in_features for e in rep.encoders] == [27648, 1024, 1000, 500, 256, 128] and rep.nf == 64

def test_classifier_uses_the_pretrained_weights():
    data = stl_like()
    make = lambda: fc_autoencoder((32, 16), size=16, seed=0)
    sae = make(); pretrain_layers(sae, data.unlabeled, epochs=1, bs=32)
    m = classifier(sae, H)
    x = torch.randn(4, 3, 16, 16)
    assert torch.equal(m.body(x), sae(x))                       # the classifier's features are the pretrained stack's
    assert not torch.equal(classifier(make(), H).body(x), sae(x))
    # with a zero fine-tuning rate, the models compared are exactly the pretrained and the untouched networks
    r = pretrain_vs_scratch(make, data, n_labelled=2, ae_epochs=1, ft_epochs=1, lr=0.)
    enc = lambda learn: [l[0].weight for l in learn.model.body[1:3]]
    assert all(torch.equal(a, b[0].weight) for a, b in zip(enc(r['learners']['pretrained']), r['sae'].encoders))
    assert all(torch.equal(a, b[0].weight) for a, b in zip(enc(r['learners']['scratch']), make().encoders))
    assert not torch.equal(r['sae'].encoders[0][0].weight, make().encoders[0][0].weight)

def one_line_error(f, match):
    with pytest.raises(ValueError, match=match) as e: f()
    assert '\n' not in str(e.value)

def test_bad_settings_fail_in_one_line_before_any_work():
    data = stl_like(n_unlabeled=20)
    ae = fc_autoencoder((8,), size=16)
    one_line_error(lambda: fc_autoencoder((64, -1)), 'every entry of sizes must be a whole number')
    one_line_error(lambda: fc_autoencoder([]), 'sizes must be a non-empty list')
    one_line_error(lambda: fc_autoencoder((8,), size=96, pool=5), 'pool must divide the image side')
    one_line_error(lambda: conv_autoencoder((8,) * 6, size=32), 'stride-2 layers need an image side')
    one_line_error(lambda: ae.check_images(torch.zeros(1, 3, 96, 96)), r'96×96 px but this autoencoder was built for 16×16.*downsample\(x, 6\)')
    one_line_error(lambda: pretrain_layers(ae, downsample(data.unlabeled, 2)), 'built for 16×16: build it with size=8')
    one_line_error(lambda: pretrain_layers(ae, data.unlabeled, epochs=0), 'epochs must be a whole number ≥ 1')
    one_line_error(lambda: pretrain_layers(ae, data.unlabeled, layers=[3]), r'layer must be a whole number in 0..0')
    one_line_error(lambda: LayerAE(ae, -1), r'layer must be a whole number in 0..0')
    one_line_error(lambda: pretrain_vs_scratch(lambda: fc_autoencoder((8,), 16), data, n_labelled=21), 'n_labelled must be at most 20')
    seeds = iter(range(100))
    one_line_error(lambda: pretrain_vs_scratch(lambda: fc_autoencoder((8,), 16, seed=next(seeds)), data), 'make\\(\\) must build the same initial weights')
    one_line_error(lambda: pretrain_vs_scratch(lambda: fc_autoencoder((8,), 32), data), 'built for 32×32')
    one_line_error(lambda: pretrain_vs_scratch(lambda: fc_autoencoder((8,), 16), shrink(data, 1, 0)), 'no unlabeled images')
    one_line_error(lambda: downsample(data.unlabeled, 3), 'factor must divide the image side: 16×16 px')

def test_tiny_end_to_end_beats_chance():
    data = stl_like(size=16, n_train=20, n_test=10, n_unlabeled=300)
    r = pretrain_vs_scratch(lambda: fc_autoencoder((64, 32), size=16), data, n_labelled=20, ae_epochs=2, ft_epochs=15, lr=3e-3)
    t = r['table']
    assert list(t.columns[:3]) == ['fine', 'coarse', 'group'] and list(t.columns[3:]) == H.fine_names
    for name in ('scratch', 'pretrained'):
        assert t.loc[name, 'fine'] > 0.3, t            # chance: 0.1 (measured: 0.48 scratch, 0.44 pretrained)
        assert t.loc[name, 'coarse'] > 0.6, t          # chance: 0.25
        assert t.loc[name, 'group'] > 0.8, t           # chance: 0.5
    assert r['n_unlabeled'] == 300 and set(r['times']) == {'pretraining', 'fine-tuning (scratch)', 'fine-tuning (pretrained)'}
