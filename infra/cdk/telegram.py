"""The desk's Telegram bot (shared/channels/telegram*.py): one bot per stage.

- Its token in Secrets Manager (`<prefix>/telegram-bot-token`; the deploy leaves a placeholder, `caseway telegram
  setup --stage <stage> --token ...` stores the real one and registers the webhook with its secret token).
- The webhook: `POST /telegram/webhook` on the HTTP API, without the JWT authorizer (Telegram sends no token; the
  function checks X-Telegram-Bot-Api-Secret-Token), to a small function of its own (functions/telegram_webhook.py)
  that takes each update once and hands it on; the bot's function (functions/telegram_bot.py) answers the chat and
  sends what the desk tells a customer, invoked asynchronously by the webhook and by every function that notifies.
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_apigatewayv2 as apigw
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from functions.telegram_webhook import MAX_BODY_BYTES
from infra.cdk import nag
from infra.cdk.functions import removal_policy
from infra.stages import StageSettings
from shared.platform import config

WEBHOOK = "/telegram/webhook"
BOT_CONTEXT = "caseway:telegram_bot"  # -c caseway:telegram_bot=<bot username>, for the portal's deep links
# The functions whose code tells customers something (shared/tickets/hooks.customer_notified): each may hand a
# notification to the bot's function.
NOTIFIERS = ("api", "route-tasks", "housekeeping", "counters", "telegram")


class Telegram(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: StageSettings,
        http_api: apigw.HttpApi,
        api_url: str,
        functions: dict[str, lambda_.Function],
        table_arn: str,
    ) -> None:
        super().__init__(scope, construct_id)
        self.token = secretsmanager.Secret(
            self,
            "BotToken",
            secret_name=f"{settings.prefix}/telegram-bot-token",
            description=f"Caseway {settings.name}: the Telegram bot's token (caseway telegram setup stores it)",
            removal_policy=removal_policy(settings),
        )
        nag.acknowledge(
            self.token,
            "SMG4",
            "A Telegram bot token cannot be rotated by a Lambda: BotFather issues a new one, and `caseway telegram "
            "setup` stores it and registers the webhook again.",
        )
        webhook, bot = functions["telegram-webhook"], functions["telegram"]
        bot_function_name = f"{settings.prefix}-telegram"  # a literal: the bot invokes itself (a Ref is circular)
        bot_arn = cdk.Stack.of(self).format_arn(
            service="lambda",
            resource="function",
            resource_name=bot_function_name,
            arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
        )
        username = self.node.try_get_context(BOT_CONTEXT) or f"{settings.prefix.replace('-', '_')}_bot"
        for function in functions.values():  # every function knows the bot; only two may read its token
            function.add_environment(config.TELEGRAM_FUNCTION, bot_function_name)
            function.add_environment(config.TELEGRAM_BOT_USERNAME, str(username))
            function.add_environment(config.TELEGRAM_API_URL, config.DEFAULTS[config.TELEGRAM_API_URL])
            function.add_environment(config.TELEGRAM_TOKEN_SECRET, self.token.secret_arn)
        for function in (webhook, bot):
            self.token.grant_read(function)
        for name in ("telegram-webhook", *NOTIFIERS):
            functions[name].add_to_role_policy(
                iam.PolicyStatement(actions=["lambda:InvokeFunction"], resources=[bot_arn])
            )
        # Link codes are used once and answered questions removed: DeleteItem on the table. (The webhook deletes
        # only the updates it releases: its grant names those items, infra/cdk/stack.py TELEGRAM_WEBHOOK_KEYS.)
        for name in ("api", "telegram"):
            functions[name].add_to_role_policy(
                iam.PolicyStatement(actions=["dynamodb:DeleteItem"], resources=[table_arn])
            )
        self.route = apigw.HttpRoute(
            self,
            "WebhookRoute",
            http_api=http_api,
            route_key=apigw.HttpRouteKey.with_(WEBHOOK, apigw.HttpMethod.POST),
            integration=integrations.HttpLambdaIntegration(
                "Webhook", webhook, payload_format_version=apigw.PayloadFormatVersion.VERSION_2_0
            ),
            authorizer=apigw.HttpNoneAuthorizer(),
        )
        nag.acknowledge(
            self.route,
            "APIG4",
            f"POST {WEBHOOK} is Telegram's webhook: Telegram sends no JWT, so the function itself refuses any call "
            "without the secret token setWebhook registered (X-Telegram-Bot-Api-Secret-Token, 401), bodies over "
            f"{MAX_BODY_BYTES} bytes, and repeats of an update.",
        )
        self.webhook_url = f"{api_url}{WEBHOOK}"
        stack = cdk.Stack.of(self)
        cdk.CfnOutput(stack, "TelegramWebhookUrl", value=self.webhook_url, description="caseway telegram setup sets it")
        cdk.CfnOutput(
            stack,
            "TelegramTokenSecretArn",
            value=self.token.secret_arn,
            description="The bot's token (Secrets Manager)",
        )
