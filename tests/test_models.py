import math
import pytest
import torch
from hiercifar.hierarchy import Hierarchy
from hiercifar.models import *

h = Hierarchy.cifar100()

@pytest.mark.parametrize('name', [m for m in MODELS if m not in PRETRAINED])   # the pretrained ones need ImageNet weights: tests/test_next_steps.py
def test_output_convention(name):
    torch.manual_seed(0)
    m = get_model(name, h).eval()
    out = m(torch.randn(3, 3, 32, 32))
    assert {k: tuple(v.shape) for k, v in out.items()} == {'fine': (3, 100), 'coarse': (3, 20), 'group': (3, 9)}

def test_param_counts():
    # conv blocks: 2 convs each (no bias) + 2 batch norms; fc 4096→1024; heads 1024→100/20/9
    convs = [(3, 64), (64, 64), (64, 128), (128, 128), (128, 256), (256, 256)]
    body = sum(9 * a * b + 2 * b for a, b in convs) + 4096 * 1024 + 1024
    heads = 1024 * 129 + 129
    ps = param_summary(multihead_cnn(h))
    assert ps.loc['body', 'parameters'] == body and ps.loc['total', 'parameters'] == body + heads == 5_473_857
    assert ps.loc['heads.group', 'trainable'] == 1024 * 9 + 9
    r = param_summary(resnet18_cifar(h))
    assert r.loc['total', 'parameters'] == 11_168_832 + 512 * 129 + 129
    assert param_summary(get_model('cnn1', h)).loc['total', 'parameters'] == body + 1024 * 100 + 100

def test_resnet_stem():
    net = resnet18_cifar(h).body
    assert net.conv1.kernel_size == (3, 3) and net.conv1.stride == (1, 1) and isinstance(net.maxpool, torch.nn.Identity)

def test_marginalize_by_hand():
    logits = torch.log(torch.tensor([[1., 2., 3., 4.] + [1e-12] * 96]))
    toy = Hierarchy(['a', 'b', 'c', 'd'], ['x', 'y'], [0, 0, 1, 1], {'g': ['x'], 'k': ['y']})
    m = marginalize(logits[:, :4], toy)
    assert torch.allclose(m['coarse'].exp(), torch.tensor([[0.3, 0.7]]), atol=1e-6)
    assert torch.allclose(m['group'].exp(), torch.tensor([[0.3, 0.7]]), atol=1e-6)
    lg = torch.randn(5, 100) * 20            # extreme logits stay finite and normalised
    mg = marginalize(lg, h)
    for l in ('fine', 'coarse', 'group'):
        assert torch.isfinite(mg[l]).all() and torch.allclose(mg[l].exp().sum(-1), torch.ones(5), atol=1e-5)
    assert torch.allclose(mg['coarse'].exp(), torch.zeros(5, 20).index_add_(1, h.fine2coarse, lg.softmax(-1)), atol=1e-5)

def test_unknown_model():
    with pytest.raises(ValueError, match="unknown model 'vgg'.*cnn"): get_model('vgg', h)

@pytest.mark.parametrize('name', ['cnn', 'resnet18'])
def test_channels_last_autocast_matches_fp32(name):
    torch.manual_seed(0)
    m = get_model(name, h).eval()
    x = torch.randn(2, 3, 32, 32)
    ref = m(x)['fine']
    mc = to_channels_last(m)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        o = mc(x.contiguous(memory_format=torch.channels_last))['fine']
    assert o.dtype == torch.bfloat16
    assert torch.allclose(o.float(), ref, atol=0.1 * ref.abs().max().item())

def test_autocast_dtype():
    assert autocast_dtype('cpu') in (torch.bfloat16, None)
    assert autocast_dtype('meta') is None
