"""The rehearsal of the deployed stack: the synthesized template's functions, each in a process of its own from its own
asset, with exactly the environment and the role the template gives it, against emulated AWS (docs/architecture.md).

- `assets`: a function's asset built for this machine (`local_asset`), and the Lambda runtime's boto3 beside it.
- `intrinsics`: a template's references (Ref, Fn::GetAtt, Fn::Join, Fn::Sub, ...) resolved to the emulated resources.
- `calls`: the record of one AWS call a rehearsed function made.
- `iam`: each call turned into the IAM requests AWS authorizes, evaluated against the function's role in the template
  (`iam_simulate.mjs`, npm `@cloud-copilot/iam-simulate`); a denial names the function, action, resource and what
  was missing.
"""
