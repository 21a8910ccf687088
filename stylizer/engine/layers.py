"""VGG-19's layer names and their order, without torch.

The web tier validates parameters (`params.validate`) against these names, and `vgg.py`
builds the network from the same layout, so the two can never disagree.
"""

from __future__ import annotations

# (block, convs) of VGG-19: 2, 2, 4, 4, 4 convolutions, each followed by a ReLU; a max pool per block.
BLOCKS = (2, 2, 4, 4, 4)
CHANNELS = (64, 128, 256, 512, 512)


def _layer_names() -> list[str]:
    names = []
    for block, convs in enumerate(BLOCKS, start=1):
        for conv in range(1, convs + 1):
            names += [f"conv{block}_{conv}", f"relu{block}_{conv}"]
        names.append(f"pool{block}")
    return names


# Names follow the VGG paper (relu4_2 = the ReLU after the 2nd conv of block 4), in torchvision's
# `vgg19().features` order: LAYER_INDEX is a layer's index in that Sequential.
LAYER_NAMES: tuple[str, ...] = tuple(_layer_names())
LAYER_INDEX: dict[str, int] = {name: i for i, name in enumerate(LAYER_NAMES)}
