"""CloudFormation's intrinsic functions, resolved against what the rehearsal created for a template's resources.

A `Physical` holds, per logical id, what `Ref` gives and what each `Fn::GetAtt` attribute gives, as the emulated
resource has them; `resolve` turns any template value (an environment, a policy document, a rule's target) into plain
values. A reference to something the rehearsal did not create raises `Unresolved`, naming it: a silent placeholder
would let a wrong setting or policy pass.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

_SUB_VARIABLE = re.compile(r"\$\{([^}!][^}]*)\}")


class Unresolved(LookupError):
    """A reference the rehearsal cannot give a value: the logical id (and attribute) is in the message."""


@dataclass
class Physical:
    """The emulated resources of one template: `refs[logical_id]` is what `Ref` gives, `attributes[logical_id][name]`
    what `Fn::GetAtt` gives; `pseudo` the pseudo parameters (AWS::Region, AWS::AccountId, AWS::Partition, ...)."""

    account: str = "123456789012"
    region: str = "us-east-1"
    stack_name: str = "caseway-dev"
    refs: dict[str, str] = field(default_factory=dict)
    attributes: dict[str, dict[str, Any]] = field(default_factory=dict)
    parameters: dict[str, Any] = field(default_factory=dict)

    @property
    def pseudo(self) -> dict[str, str]:
        return {
            "AWS::Region": self.region,
            "AWS::AccountId": self.account,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackName": self.stack_name,
            "AWS::StackId": (
                f"arn:aws:cloudformation:{self.region}:{self.account}:stack/{self.stack_name}/00000000-rehearsal"
            ),
            "AWS::NoValue": "",
        }

    def add(self, logical_id: str, ref: str, **attributes: Any) -> None:
        self.refs[logical_id] = ref
        self.attributes.setdefault(logical_id, {}).update(attributes)

    def ref(self, name: str) -> Any:
        if name in self.pseudo:
            return self.pseudo[name]
        if name in self.parameters:
            return self.parameters[name]
        if name in self.refs:
            return self.refs[name]
        raise Unresolved(f"Ref {name}: the rehearsal created no such resource")

    def get_att(self, logical_id: str, attribute: str) -> Any:
        try:
            return self.attributes[logical_id][attribute]
        except KeyError:
            raise Unresolved(f"Fn::GetAtt {logical_id}.{attribute}: the rehearsal has no such attribute") from None

    def resolve(self, node: Any) -> Any:
        """The value with every intrinsic function replaced by what it gives here."""
        if isinstance(node, list):
            return [self.resolve(item) for item in node]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            ((key, value),) = node.items()
            if key == "Ref":
                return self.ref(value)
            if key == "Fn::GetAtt":
                logical_id, attribute = value if isinstance(value, list) else value.split(".", 1)
                return self.get_att(logical_id, attribute)
            if key == "Fn::Join":
                delimiter, items = value
                return delimiter.join(str(self.resolve(item)) for item in self.resolve(items))
            if key == "Fn::Sub":
                return self._sub(value)
            if key == "Fn::Select":
                index, items = value
                return self.resolve(items)[int(self.resolve(index))]
            if key == "Fn::Split":
                delimiter, text = value
                return str(self.resolve(text)).split(delimiter)
            if key == "Fn::If":
                raise Unresolved("Fn::If: the rehearsal resolves no conditions")
            if key.startswith("Fn::"):
                raise Unresolved(f"{key}: not supported by the rehearsal")
        return {key: self.resolve(value) for key, value in node.items()}

    def _sub(self, value: Any) -> str:
        template, variables = (value, {}) if isinstance(value, str) else (value[0], value[1])
        local = {name: self.resolve(v) for name, v in variables.items()}

        def one(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in local:
                return str(local[name])
            if "." in name:
                logical_id, attribute = name.split(".", 1)
                return str(self.get_att(logical_id, attribute))
            return str(self.ref(name))

        return _SUB_VARIABLE.sub(one, template).replace("${!", "${")
