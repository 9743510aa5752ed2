"""Where Caseway runs: the CDK app (app.py, stages.py, cdk/) and, in local/, the same helpdesk on this machine."""
