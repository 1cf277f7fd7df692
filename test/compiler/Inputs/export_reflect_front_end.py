"""Writes a two-block strided front end with reflect padding (as the speech
encoders' Conv2d blocks pad): [B, 4, T] -> pad 1 -> Conv1d stride 2 -> pad 1
-> Conv1d stride 2.

  export_reflect_front_end.py OUT.onnx
"""
import sys
import warnings

import torch
import torch.nn.functional as F


class FrontEnd(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv1d(4, 4, 3, stride=2)
        self.conv2 = torch.nn.Conv1d(4, 4, 3, stride=2)

    def forward(self, x):
        x = self.conv1(F.pad(x, (1, 1), mode="reflect"))
        return self.conv2(F.pad(x, (1, 1), mode="reflect"))


with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    torch.onnx.export(FrontEnd().eval(), (torch.randn(1, 4, 20),), sys.argv[1],
                      opset_version=17, input_names=["x"], output_names=["y"],
                      dynamic_axes={"x": {0: "B", 2: "T"}, "y": {0: "B", 2: "T4"}})
