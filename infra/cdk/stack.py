"""One stack per stage, composed of one construct per concern, and the permissions between them."""

from __future__ import annotations

from collections.abc import Callable

import aws_cdk as cdk
import jsii
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra.cdk import nag
from infra.cdk.api import Api
from infra.cdk.consumers import Consumers
from infra.cdk.cross_origin import CrossOrigin
from infra.cdk.data import ATTACHMENTS_PREFIX, PENDING_PREFIX, Data
from infra.cdk.edge import ApiEdge
from infra.cdk.functions import Functions
from infra.cdk.identity import Identity, hosted_ui_url
from infra.cdk.inbound import INBOUND_PREFIX, InboundMail, ReplySecret
from infra.cdk.incidents import Incidents
from infra.cdk.monitoring import Monitoring, metrics_namespace
from infra.cdk.notifications import Notifications
from infra.cdk.route_machines import RouteMachines, route_arn_prefix
from infra.cdk.schedules import Schedules
from infra.cdk.setup import DeskSetup
from infra.cdk.site import Site
from infra.cdk.telegram import Telegram
from infra.stages import StageSettings
from shared.platform import config

# What each function's code calls on the table (pynamodb: get/save/update/query/transactions; the
# counters and quotas: UpdateItem). TransactWriteItems is authorized per item by these actions.
TABLE_ITEM_ACTIONS = [
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:ConditionCheckItem",
    "dynamodb:Query",
    "dynamodb:BatchGetItem",  # the knowledge base reads a search page's articles at once (shared/kb.py)
]

# The items a function that anyone on the internet can set off may touch, by partition key (dynamodb:LeadingKeys):
# its code reads and writes nothing else, so a flaw in it reaches no ticket, no organisation, no other person.
# The Telegram webhook takes each update once (shared/channels/telegram_items.py take_update, release_update).
TELEGRAM_WEBHOOK_KEYS = ("TGUPDATE#*",)
TELEGRAM_WEBHOOK_ACTIONS = ("dynamodb:PutItem", "dynamodb:DeleteItem")
# The pre-token trigger keeps the person's record and the link from their address (shared/directory/people.py
# keep_record, save_user) and a staff member's line on the specialists' day map (shared/figures/counts.py).
PRE_TOKEN_KEYS = ("USER#*", "EMAIL#*", "FIGURES#DIRECTORY")
PRE_TOKEN_ACTIONS = ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:ConditionCheckItem")


# The functions whose code raises incidents (shared/money/incidents.py: limits, SLA breaches, route faults, billing).
# counters: contract thresholds; inbound-email: a ticket opened by e-mail is checked against its contract too
INCIDENT_PUBLISHERS = ("api", "route-tasks", "housekeeping", "counters", "telegram", "inbound-email")
# The functions that write reply addresses into e-mails or read them back (shared/tickets/mailthread.py); the Telegram
# bot too: a ticket opened from a chat is told by e-mail as well ("received"), which carries the reply address.
REPLY_SIGNERS = ("api", "route-tasks", "housekeeping", "inbound-email", "telegram")


@jsii.implements(cdk.IStableStringProducer)
class _Later:
    """A value known once a construct made later exists (cdk.Lazy)."""

    def __init__(self, value: Callable[[], str]) -> None:
        self._value = value

    def produce(self) -> str:
        return self._value()


class CasewayStack(cdk.Stack):
    def __init__(self, scope: Construct, construct_id: str, *, settings: StageSettings, **kwargs: object) -> None:
        super().__init__(scope, construct_id, **kwargs)  # type: ignore[arg-type]
        self.settings = settings

        self.data = Data(self, "Data", settings=settings)
        self.notifications = Notifications(self, "Notifications", settings=settings)
        self.site = Site(
            self,
            "Site",
            settings=settings,
            access_logs=self.data.access_logs,
            hosted_ui=hosted_ui_url(settings),
            api_url=cdk.Lazy.string(_Later(lambda: self.api.url)),  # the API is made below: it needs the site's URL
            attachments=self.data.attachments,
        )
        self.identity = Identity(self, "Identity", settings=settings, site_url=self.site.url)
        self.functions = Functions(self, "Functions", settings=settings, metrics_namespace=metrics_namespace(settings))
        self.routes = RouteMachines(self, "Routes", settings=settings, functions=self.functions)
        self.api = Api(
            self,
            "Api",
            settings=settings,
            function=self.functions["api"],
            identity=self.identity,
        )
        CrossOrigin(
            self,
            "CrossOrigin",
            settings=settings,
            site_url=self.site.url,
            http_api=self.api.http_api,
            bucket=self.data.attachments,
        )
        if settings.edge_waf:  # the app, its CSP and Telegram's webhook go through the web ACL
            self.edge = ApiEdge(
                self, "ApiEdge", settings=settings, http_api=self.api.http_api, log_bucket=self.site.cdn_logs
            )
            self.api.url = self.edge.url
        self.identity.keep_tokens_with(self.functions["pre-token"])
        self.schedules = Schedules(self, "Schedules", settings=settings, functions=self.functions)
        self.consumers = Consumers(
            self,
            "Consumers",
            event_bus=self.notifications.bus,
            functions=self.functions.functions,
            dead_letter_queue=self.functions.failed_invocations,
        )
        self.monitoring = Monitoring(
            self,
            "Monitoring",
            settings=settings,
            api=self.api,
            functions=self.functions.functions,
            machines=self.routes.machines,
            dead_letter_queues={"failed-invocations": self.functions.failed_invocations},
            topic=self.notifications.ops_topic,
        )

        self.functions.set_environment(
            {
                config.TABLE_NAME: self.data.table.table_name,
                config.EVENT_BUS_NAME: self.notifications.bus.event_bus_name,
                config.ATTACHMENTS_BUCKET: self.data.attachments.bucket_name,
                config.SENDER_EMAIL: settings.sender_email,
                config.ROUTE_ARN_PREFIX: route_arn_prefix(self, settings),
                config.PUBLIC_BASE_URL: self.api.url,
                config.SITE_URL: self.site.url,
                config.WEBFORM_RATE_PER_HOUR: str(settings.webform_rate_per_hour),
                # the web form's free submissions before a proof of work, and its difficulty (the desk's defaults)
                config.WEBFORM_FREE_PER_HOUR: config.DEFAULTS[config.WEBFORM_FREE_PER_HOUR],
                config.WEBFORM_FREE_PER_IP_HOUR: config.DEFAULTS[config.WEBFORM_FREE_PER_IP_HOUR],
                config.WEBFORM_PROOF_BITS: config.DEFAULTS[config.WEBFORM_PROOF_BITS],
                config.WORKER_FUNCTION: f"{settings.prefix}-route-tasks",  # a literal: a Ref would be circular
            }
        )
        # The API invites and deactivates people; the trigger reads no pool (the pool invokes it: a Ref would
        # be circular), so only the API is told which pool it is.
        self.functions["api"].add_environment(config.USER_POOL_ID, self.identity.user_pool.user_pool_id)
        self._grant()
        self._grant_table_keys(self.functions["telegram-webhook"], TELEGRAM_WEBHOOK_ACTIONS, TELEGRAM_WEBHOOK_KEYS)
        self._grant_table(self.functions["telegram"])
        self.telegram = Telegram(
            self,
            "Telegram",
            settings=settings,
            http_api=self.api.http_api,
            api_url=self.api.url,
            functions=self.functions.functions,
            table_arn=self.data.table.table_arn,
        )
        self._grant_telegram_bot()
        self._inbound_mail()
        self.functions.set_environment(
            {
                config.REPLY_DOMAIN: settings.mail_domain,
                config.REPLY_SECRET_ARN: self.reply_secret.secret.secret_arn,
                config.INBOUND_BUCKET: self.inbound.bucket.bucket_name if self.inbound else "",
                config.INBOUND_PREFIX: INBOUND_PREFIX,
                config.INBOUND_SERVICES: settings.inbound_services,
                config.INBOUND_RATE_PER_HOUR: str(settings.inbound_rate_per_hour),
            }
        )
        self._outputs()
        self.site.deploy(self._site_config())
        self._incidents_and_setup()
        if not settings.alarm_email:
            cdk.Annotations.of(self.notifications.ops_topic).add_warning_v2(
                "caseway:no-alarm-email",
                f"Stage {settings.name} has no alarm_email: alarms notify the ops topic, which nobody receives. "
                "Set it with -c caseway:alarm_email=<address>.",
            )

    # --- incidents reach people; the deploy sets the desk up ---------------------------------------------------

    def _incidents_and_setup(self) -> None:
        """R24: every function may publish incidents to the managers' topic. The setup function writes the default
        desk on deploy (a custom resource), with the table and the bus its writes need. Outputs for `caseway setup`
        and `caseway doctor`."""
        self.incidents = Incidents(self, "Incidents", settings=self.settings, key=self.notifications.ops_key)
        self.incidents.publishers(self.functions[name] for name in INCIDENT_PUBLISHERS)
        self.functions.set_environment({config.INCIDENTS_TOPIC_ARN: self.incidents.topic.topic_arn})
        setup_function = self.functions["setup"]
        self._grant_table(setup_function)
        self.notifications.bus.grant_put_events_to(setup_function)
        self.setup = DeskSetup(self, "Setup", function=setup_function)
        if not self.settings.incident_emails:
            cdk.Annotations.of(self.incidents.topic).add_warning_v2(
                "caseway:no-incident-email",
                f"Stage {self.settings.name} has neither incident_email nor alarm_email: incidents reach nobody "
                "by e-mail. Set one with -c caseway:incident_email=<address>[,<address>].",
            )
        outputs = {
            "IncidentsTopicArn": (self.incidents.topic.topic_arn, "Every incident (R24) is published here"),
            "SetupFunctionName": (setup_function.function_name, "Sets the desk up: caseway setup --stage <stage>"),
            "TableName": (self.data.table.table_name, "The desk's table"),
            "SenderEmail": (self.settings.sender_email, "The SES identity customer e-mail comes from"),
        }
        for name, (value, description) in outputs.items():
            cdk.CfnOutput(self, name, value=value, description=description)

    def _site_config(self) -> dict[str, object]:
        """The web app's /config.json (web/src/config.ts): the API's URL and Cognito's hosted sign-in."""
        return {
            "stage": self.settings.name,
            "apiBaseUrl": self.api.url,
            "auth": {
                "mode": "cognito",
                "authority": f"https://cognito-idp.{cdk.Aws.REGION}.amazonaws.com/{self.identity.user_pool.user_pool_id}",
                "domain": self.identity.domain.base_url(),
                "clientId": self.identity.portal_client.user_pool_client_id,
                "scope": "openid email profile",
            },
        }

    # --- who may do what ------------------------------------------------------------------------

    def _grant(self) -> None:
        api, route_tasks, housekeeping = (self.functions[n] for n in ("api", "route-tasks", "housekeeping"))
        for function in (api, route_tasks, housekeeping):
            self._grant_table(function)
            self.notifications.bus.grant_put_events_to(function)
        # The pre-token trigger keeps people's records (it reads and writes the table, nothing else); saving a
        # person tells the figures, which count in the table too: those items only.
        self._grant_table_keys(self.functions["pre-token"], PRE_TOKEN_ACTIONS, PRE_TOKEN_KEYS)
        api.add_to_role_policy(
            iam.PolicyStatement(
                actions=[
                    "cognito-idp:AdminCreateUser",
                    "cognito-idp:AdminAddUserToGroup",
                    "cognito-idp:AdminDisableUser",
                    "cognito-idp:AdminUserGlobalSignOut",
                    "cognito-idp:AdminGetUser",
                    "cognito-idp:AdminListGroupsForUser",
                    "cognito-idp:DescribeUserPoolClient",
                ],
                resources=[self.identity.user_pool.user_pool_arn],
            )
        )
        for function in (api, route_tasks, housekeeping):
            self._grant_send_email(function)
        self._grant_counters()
        # The API hands SLA follow-ups (next-step dates, the customer's-message task) to the route worker.
        api.add_to_role_policy(
            iam.PolicyStatement(actions=["lambda:InvokeFunction"], resources=[route_tasks.function_arn])
        )
        # A route step that changes a ticket's status hands the refresh of its next step to the worker, which is
        # this function itself (workflows.call_worker): by its name, since a Ref to itself would be circular.
        route_tasks.add_to_role_policy(
            iam.PolicyStatement(
                actions=["lambda:InvokeFunction"],
                resources=[
                    cdk.Stack.of(self).format_arn(
                        service="lambda",
                        resource="function",
                        resource_name=f"{self.settings.prefix}-route-tasks",
                        arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
                    )
                ],
            )
        )
        machines = self.routes.arns
        if machines:
            api.add_to_role_policy(
                iam.PolicyStatement(
                    actions=["states:SendTaskSuccess", "states:SendTaskFailure"],
                    resources=machines,
                )
            )
            housekeeping.add_to_role_policy(iam.PolicyStatement(actions=["states:SendTaskSuccess"], resources=machines))
            # The route worker is invoked by the routes, so naming their ARNs would be a circular reference:
            # the stage's own state machines, by their name prefix, instead.
            own_routes = f"{route_arn_prefix(self, self.settings)}*"
            # It starts a submitted ticket's route after the intake (shared/routes/start.py).
            route_tasks.add_to_role_policy(
                iam.PolicyStatement(actions=["states:StartExecution", "states:SendTaskSuccess"], resources=[own_routes])
            )
            assert route_tasks.role is not None
            nag.acknowledge_wildcard(
                route_tasks.role,
                own_routes,
                "The route worker starts this stage's routes after a ticket's intake (StartExecution) and releases "
                "their human steps (SendTaskSuccess) when it closes a ticket; the routes invoke this function, so "
                "their ARNs cannot be named without a circular dependency, and the resource is this stage's state "
                "machines by their name prefix.",
            )
        self._grant_attachments(api, route_tasks)

    def _grant_attachments(self, api: lambda_.Function, route_tasks: lambda_.Function) -> None:
        """Presigned POSTs put a browser's upload under uploads/ with the API's permission; a message claims it (read
        back, copied to tickets/): the API for a person's message, the route worker for a route's hand-over. Presigned
        downloads are GETs signed by the API, of either prefix (staff read an upload before it is claimed)."""
        pending = self.data.attachments.arn_for_objects(f"{PENDING_PREFIX}*")
        claimed = self.data.attachments.arn_for_objects(f"{ATTACHMENTS_PREFIX}*")
        for function, statements, why in (
            (
                api,
                ((["s3:PutObject", "s3:GetObject"], pending), (["s3:PutObject", "s3:GetObject"], claimed)),
                "The API signs the uploads' presigned POSTs (uploads/) and the downloads' GETs (both prefixes), reads "
                "an upload back and copies it to tickets/ when a message claims it",
            ),
            (
                route_tasks,
                ((["s3:GetObject"], pending), (["s3:PutObject"], claimed)),
                "The route worker claims the office's uploads it hands over (reads them under uploads/, copies them "
                "to tickets/)",
            ),
        ):
            for actions, resource in statements:
                function.add_to_role_policy(iam.PolicyStatement(actions=actions, resources=[resource]))
            assert function.role is not None
            for resource in (pending, claimed):
                nag.acknowledge_wildcard(
                    function.role,
                    resource,
                    f"{why}. Keys are <prefix><ticket id>/<attachment id>/<file name>, made per request, so the "
                    "prefix is the narrowest resource that covers them.",
                )

    def _inbound_mail(self) -> None:
        """The reply-address key for every function that signs or checks reply addresses; the receipt rules and the
        inbound function's rights (it writes like the API: messages, tickets and their routes, attachments, e-mail)."""
        self.reply_secret = ReplySecret(self, "ReplySecret", settings=self.settings)
        self.inbound: InboundMail | None = None
        for name in REPLY_SIGNERS:
            self.reply_secret.secret.grant_read(self.functions[name])
        inbound = self.functions["inbound-email"]
        self._grant_table(inbound)
        self.notifications.bus.grant_put_events_to(inbound)
        self._grant_send_email(inbound)
        uploads = self.data.attachments.arn_for_objects(f"{ATTACHMENTS_PREFIX}*")
        inbound.add_to_role_policy(iam.PolicyStatement(actions=["s3:PutObject"], resources=[uploads]))
        assert inbound.role is not None
        nag.acknowledge_wildcard(
            inbound.role,
            uploads,
            "An e-mail's files are stored as the ticket's attachments under tickets/<ticket id>/<attachment id>/"
            "<file name>, keys made per e-mail, so the tickets/ prefix is the narrowest resource; only s3:PutObject.",
        )
        worker = self.functions["route-tasks"].function_arn
        inbound.add_to_role_policy(iam.PolicyStatement(actions=["lambda:InvokeFunction"], resources=[worker]))
        if not self.settings.inbound_mail:
            return
        self.inbound = InboundMail(
            self, "InboundMail", settings=self.settings, function=inbound, access_logs=self.data.access_logs
        )
        received = self.inbound.bucket.arn_for_objects(f"{INBOUND_PREFIX}*")
        api = self.functions["api"]
        for function, actions, reason in (
            (inbound, ["s3:GetObject"], "The inbound function reads each e-mail SES stored under inbound/<message id>"),
            (api, ["s3:GetObject", "s3:DeleteObject"], "Managers release (read) or delete quarantined e-mails"),
        ):
            function.add_to_role_policy(iam.PolicyStatement(actions=actions, resources=[received]))
            assert function.role is not None
            nag.acknowledge_wildcard(
                function.role,
                received,
                f"{reason}; SES names each object by its message id, so the inbound/ prefix is the narrowest resource.",
            )

    def _grant_telegram_bot(self) -> None:
        """The bot writes as the customer through the ticket core (shared/channels/telegram.py): a new ticket and a
        message are handed to the route worker (its route, its follow-up), and both tell the bus and e-mail the
        customer."""
        bot = self.functions["telegram"]
        self.notifications.bus.grant_put_events_to(bot)
        self._grant_send_email(bot)
        bot.add_to_role_policy(
            iam.PolicyStatement(
                actions=["lambda:InvokeFunction"], resources=[self.functions["route-tasks"].function_arn]
            )
        )

    def _grant_counters(self) -> None:
        """The counters consumer (functions/counters.py): it reads the contract and the period's counters and time
        entries (the index gives their keys, BatchGetItem the entries: shared/platform/table.py), adds to counters with
        a once-mark (UpdateItem + PutItem in one transaction), saves threshold incidents (PutItem) and publishes
        IncidentRaised."""
        counters = self.functions["counters"]
        table = self.data.table
        counters.add_to_role_policy(
            iam.PolicyStatement(
                actions=[
                    "dynamodb:GetItem",
                    "dynamodb:BatchGetItem",
                    "dynamodb:PutItem",
                    "dynamodb:UpdateItem",
                    "dynamodb:Query",
                ],
                resources=[table.table_arn],
            )
        )
        if "organisation_index" in self.data.index_names:  # an organisation's time entries of the period
            counters.add_to_role_policy(
                iam.PolicyStatement(
                    actions=["dynamodb:Query"], resources=[f"{table.table_arn}/index/organisation_index"]
                )
            )
        self.notifications.bus.grant_put_events_to(counters)

    def _grant_table(self, function: lambda_.Function) -> None:
        table = self.data.table
        function.add_to_role_policy(iam.PolicyStatement(actions=TABLE_ITEM_ACTIONS, resources=[table.table_arn]))
        if self.data.index_names:
            function.add_to_role_policy(
                iam.PolicyStatement(
                    actions=["dynamodb:Query"],
                    resources=[f"{table.table_arn}/index/{name}" for name in self.data.index_names],
                )
            )

    def _grant_table_keys(self, function: lambda_.Function, actions: tuple[str, ...], keys: tuple[str, ...]) -> None:
        """Item actions on the table limited to items whose partition key matches one of `keys` (no index)."""
        function.add_to_role_policy(
            iam.PolicyStatement(
                actions=list(actions),
                resources=[self.data.table.table_arn],
                conditions={"ForAllValues:StringLike": {"dynamodb:LeadingKeys": list(keys)}},
            )
        )

    def _grant_send_email(self, function: lambda_.Function) -> None:
        identities = f"arn:{cdk.Aws.PARTITION}:ses:{cdk.Aws.REGION}:{cdk.Aws.ACCOUNT_ID}:identity/*"
        function.add_to_role_policy(
            iam.PolicyStatement(
                actions=["ses:SendEmail", "ses:SendRawEmail"],
                resources=[identities],
                conditions={"StringEquals": {"ses:FromAddress": self.settings.sender_email}},
            )
        )
        assert function.role is not None
        nag.acknowledge_wildcard(
            function.role,
            identities,
            "SES authorizes SendEmail against the sender's identity (address or domain, whichever is "
            "verified) and, while the account is in the SES sandbox, each recipient's; recipients are any "
            "customer, so the resource is this account's identities in the region, and the ses:FromAddress "
            "condition pins the sender to the stage's sender address.",
        )

    # --- what a deployer needs ------------------------------------------------------------------

    def _outputs(self) -> None:
        identity = self.identity
        outputs = {
            "ApiUrl": (self.api.url, "The HTTP API"),
            "WebFormUrl": (f"{self.site.url}/app/form", "The web form: a ticket without an account (the web app's)"),
            "UserPoolId": (identity.user_pool.user_pool_id, "Cognito user pool (users and groups)"),
            "PortalClientId": (identity.portal_client.user_pool_client_id, "App client for the portal (PKCE)"),
            "HostedSignInUrl": (identity.domain.base_url(), "Cognito hosted sign-in"),
            "EventBusName": (self.notifications.bus.event_bus_name, "The ticket-events bus for integrations"),
            "OpsTopicArn": (self.notifications.ops_topic.topic_arn, "Alarms notify this topic"),
        }
        if identity.machine_client is not None:
            outputs["MachineClientId"] = (
                identity.machine_client.user_pool_client_id,
                "App client for machine clients (client credentials; secret in the Cognito console)",
            )
        if self.api.domain is not None:
            outputs["CustomDomainTarget"] = (
                self.api.domain.regional_domain_name,
                f"Point {self.settings.custom_domain} (CNAME or alias) here",
            )
        if self.monitoring.dashboard is not None:
            outputs["DashboardName"] = (self.monitoring.dashboard.dashboard_name, "CloudWatch dashboard")
        for name, (value, description) in outputs.items():
            cdk.CfnOutput(self, name, value=value, description=description)
