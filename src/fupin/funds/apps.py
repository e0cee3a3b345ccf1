from django.apps import AppConfig


class FundsConfig(AppConfig):
    name = "fupin.funds"
    label = "funds"
    verbose_name = "项目资金（项目库、资金下达、项目资金安排、资金支付）"
