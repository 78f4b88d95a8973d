"""Pure-PyTorch reference models of lidardet (LION, FlatFormer), with the official state_dict key names.

Built from the YAML files in configs/ (see docs/reference.md). CPU PyTorch only; sparse convolution and the
linear-RNN scans are written with plain torch index operations so that the C++ port can be checked stage by stage.
"""
