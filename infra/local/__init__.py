"""The local stack (`caseway local`, `make run`) and the emulated AWS the tests run on.

- fake_aws: fake credentials and a Lambda context (imports nothing of the project);
- emulation: AWS emulated by moto, provisioned from the CDK app's own definitions;
- virtual_time: a virtual clock for moto's Step Functions interpreter (days pass in milliseconds);
- gateway: plays API Gateway (HTTP API events, the JWT authorizer) in front of the API handler;
- server: the HTTP server with the local-only endpoints; stack: starts and stops everything;
- demo/: the demo desk, one module per context, seeded by `demo.seed()`; demo/tickets.py: `make run`'s tickets,
  worked through the API on the virtual clock;
- cli: the `caseway` command.

Dependencies go one way: cli -> stack -> server -> gateway -> fake_aws, and server/stack -> emulation, demo.
"""
