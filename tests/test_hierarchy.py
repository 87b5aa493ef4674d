import pickle
import numpy as np
import pytest
import torch
from hiercifar.hierarchy import Hierarchy, CIFAR100_GROUPS, check_weights, tree, boundaries

h = Hierarchy.cifar100()

def test_sizes_and_group_order():
    assert h.sizes == dict(fine=100, coarse=20, group=9)
    assert h.group_names == ['plants', 'vehicles', 'invertebrates', 'aquatic_animals', 'large_animals',
                             'man-made_articles', 'people', 'terrestrial_animals', 'outdoor_scenes']

def test_mappings_by_hand():
    f = h.fine_names.index
    assert h.coarse_names[h.fine2coarse[f('whale')]] == 'aquatic_mammals'
    assert h.group_names[h.fine2group[f('whale')]] == 'aquatic_animals'
    assert h.group_names[h.fine2group[f('lawn_mower')]] == 'vehicles'
    assert h.group_names[h.fine2group[f('bridge')]] == 'man-made_articles'
    assert h.group_names[h.coarse2group[h.coarse_names.index('small_mammals')]] == 'terrestrial_animals'
    assert h.fine2coarse.dtype == h.coarse2group.dtype == h.fine2group.dtype == torch.long
    assert torch.equal(h.fine2group, h.coarse2group[h.fine2coarse])

def test_lca_and_severity():
    f = h.fine_names.index
    assert h.lca.shape == (100, 100) and h.lca.dtype == torch.long
    assert h.lca[f('man'), f('woman')] == 1 and h.lca[f('shark'), f('whale')] == 2 and h.lca[f('shark'), f('bus')] == 3
    assert torch.bincount(h.lca.flatten()).tolist() == [100, 400, 800, 8700]
    S = h.severity(0.5, 2, 7)
    assert S.dtype == torch.float32 and S.shape == (100, 100)
    assert S[f('man'), f('woman')] == 0.5 and S[f('shark'), f('whale')] == 2 and S[f('shark'), f('bus')] == 7
    assert (S.diag() == 0).all()
    assert torch.equal(h.severity(), torch.tensor([0., 1., 2., 3.])[h.lca])

@pytest.mark.parametrize('w', [(1, -1, 3), (1, 2, float('nan')), (1, 2), ('a', 1, 2)])
def test_bad_weights(w):
    with pytest.raises(ValueError, match='severity weights'): check_weights(w)

def test_custom_groups_and_errors():
    g = {k: list(v) for k, v in CIFAR100_GROUPS.items()}
    g['people'] = ['people', 'reptiles']; g['terrestrial_animals'] = ['medium_mammals', 'small_mammals']
    h2 = Hierarchy.cifar100(g)
    assert h2.lca[h2.fine_names.index('man'), h2.fine_names.index('snake')] == 2
    assert h2 == h.with_groups(g) and h2 != h
    missing = {k: v for k, v in CIFAR100_GROUPS.items() if k != 'outdoor_scenes'}
    with pytest.raises(ValueError, match="'large_natural_outdoor_scenes' is in no group"): Hierarchy.cifar100(missing)
    with pytest.raises(ValueError, match="'fish' is in two groups"): Hierarchy.cifar100({**CIFAR100_GROUPS, 'x': ['fish']})
    with pytest.raises(ValueError, match="unknown superclass 'unicorns'"): Hierarchy.cifar100({**CIFAR100_GROUPS, 'x': ['unicorns']})
    with pytest.raises(ValueError, match='expected 3 entries'): Hierarchy(['a', 'b', 'c'], ['x'], [0, 0], {'g': ['x']})

def test_tree_and_boundaries():
    t = tree(h)
    assert t.splitlines()[1] == '0 plants' and 'maple_tree, oak_tree, palm_tree, pine_tree, willow_tree' in t
    thin, thick = boundaries(h)
    assert thick == [15, 25, 35, 45, 55, 75, 80, 95]
    assert boundaries(h, 'coarse')[1] == [3, 5, 7, 9, 11, 15, 16, 19]

def test_against_genuine_meta(reference):
    with open(reference/'meta', 'rb') as f: meta = pickle.load(f, encoding='bytes')
    assert [n.decode() for n in meta[b'fine_label_names']] == h.fine_names
    assert [n.decode() for n in meta[b'coarse_label_names']] == h.coarse_names
    z = np.load(reference/'labels_and_filenames.npz')
    for part in ('train', 'test'):
        fine = torch.from_numpy(z[f'{part}_fine_labels'].astype(np.int64))
        coarse = torch.from_numpy(z[f'{part}_coarse_labels'].astype(np.int64))
        assert torch.equal(h.fine2coarse[fine], coarse)

def test_to_device_is_cached():
    assert h.to('cpu') is h
    m = h.to('meta')
    assert m is h.to('meta') and m.lca.device.type == 'meta' and m.fine2group.device.type == 'meta'
    assert h.lca.device.type == 'cpu' and m.fine_names is h.fine_names
