"""The rehearsal of the deployed stack: the synthesized template's functions, each in a process of its own from its own
asset, with exactly the environment and the role the template gives it, against emulated AWS (docs/architecture.md).

- `intrinsics`: a template's references (Ref, Fn::GetAtt, Fn::Join, Fn::Sub, ...) resolved to the emulated resources.
- `template`: the dev stage synthesized (cached) and its functions; `resources`: every resource of the template
  created in the emulated AWS, and the `Physical` that resolves it (the rehearsal's stack uses it).
- `assets`: each asset built for this machine, and the runtime's boto3 beside it.
- `stage`: what a rehearsal needs prepared (template, assets, runtime, which asset each handler runs from).
- `runner` (with `bootstrap`, the process's side): the functions as processes; `calls`: the record of an AWS call.
- `iam`: each call turned into the IAM requests AWS authorizes, evaluated against the function's role in the template
  (`iam_simulate.mjs`, npm `@cloud-copilot/iam-simulate`); a denial names the function, action, resource and what
  was missing.
"""
