"""The rehearsal's resolution of a template's references: exact values, and a loud failure for what it lacks."""

from __future__ import annotations

import pytest

from infra.rehearsal.intrinsics import Physical, Unresolved


@pytest.fixture
def physical() -> Physical:
    p = Physical(account="111122223333", region="eu-west-1")
    p.add("Table", "caseway-dev-desk", Arn="arn:aws:dynamodb:eu-west-1:111122223333:table/caseway-dev-desk")
    return p


def test_ref_getatt_join_and_sub(physical: Physical) -> None:
    assert physical.resolve({"Ref": "Table"}) == "caseway-dev-desk"
    assert physical.resolve({"Fn::GetAtt": ["Table", "Arn"]}).endswith(":table/caseway-dev-desk")
    joined = {"Fn::Join": ["", [{"Fn::GetAtt": ["Table", "Arn"]}, "/index/*"]]}
    assert physical.resolve(joined) == "arn:aws:dynamodb:eu-west-1:111122223333:table/caseway-dev-desk/index/*"
    sub = {"Fn::Sub": "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:${Table}:${Table.Arn}:${!Literal}"}
    assert physical.resolve(sub) == (
        "arn:aws:logs:eu-west-1:111122223333:caseway-dev-desk:"
        "arn:aws:dynamodb:eu-west-1:111122223333:table/caseway-dev-desk:${Literal}"
    )
    assert physical.resolve({"Fn::Select": [1, {"Fn::Split": ["/", "a/b/c"]}]}) == "b"
    assert physical.resolve({"Environment": [{"Ref": "AWS::Region"}]}) == {"Environment": ["eu-west-1"]}


def test_what_was_not_created_is_named(physical: Physical) -> None:
    with pytest.raises(Unresolved, match="Ref Queue"):
        physical.resolve({"Ref": "Queue"})
    with pytest.raises(Unresolved, match=r"Table\.StreamArn"):
        physical.resolve({"Fn::GetAtt": ["Table", "StreamArn"]})
