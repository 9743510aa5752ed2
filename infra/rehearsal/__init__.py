"""The rehearsal of the deployed stack: the synthesized template's functions, each in a process of its own from its own
asset, with exactly the environment and the role the template gives it, against emulated AWS (docs/architecture.md).

- `intrinsics`: a template's references (Ref, Fn::GetAtt, Fn::Join, Fn::Sub, ...) resolved to the emulated resources.
"""
