from decimal import Decimal

from django.db import models
from django.db.models import Q

from kizuna.core.clock import now
from kizuna.core.ids import EXTERNAL_ID_MAX_LENGTH
from kizuna.core.models import TenantModel
from kizuna.core.money import money_field
from kizuna.customers.models import Customer

SKU_MAX_LENGTH = 128
ITEM_NAME_MAX_LENGTH = 300
CATEGORY_MAX_LENGTH = 200
LOCATION_MAX_LENGTH = 200
REFUND_REASON_MAX_LENGTH = 500


class OrderStatus(models.TextChoices):
    PENDING = "pending"
    PAID = "paid"
    CANCELLED = "cancelled"


class PaymentMethod(models.TextChoices):
    CARD = "card"
    CASH = "cash"
    POINTS = "points"
    GIFT_CARD = "gift_card"
    STORE_CREDIT = "store_credit"
    OTHER = "other"


class OrderChannel(models.TextChoices):
    ONLINE = "online"
    STORE = "store"
    APP = "app"


class Order(TenantModel):
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="orders")
    external_id = models.CharField(max_length=EXTERNAL_ID_MAX_LENGTH)
    status = models.CharField(max_length=16, choices=OrderStatus.choices)
    currency = models.CharField(max_length=3)
    total = money_field()
    subtotal = money_field()
    discount_total = money_field(default=Decimal(0))
    shipping_total = money_field(default=Decimal(0))
    tax_total = money_field(default=Decimal(0))
    prices_include_tax = models.BooleanField(default=False)
    refunded_total = money_field(default=Decimal(0))
    channel = models.CharField(max_length=16, choices=OrderChannel.choices)
    location = models.CharField(max_length=LOCATION_MAX_LENGTH, blank=True, default="")
    metadata = models.JSONField(default=dict, blank=True)
    # How the order was paid: [{"method": "card", "amount": "21.00"}, ...]. Value paid with
    # points, gift cards or store credit earns no points.
    payments = models.JSONField(default=list, blank=True)
    occurred_at = models.DateTimeField()
    created_at = models.DateTimeField(default=now)
    updated_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "external_id"], name="order_external_id_unique"
            ),
            models.CheckConstraint(
                condition=Q(refunded_total__gte=0) & Q(refunded_total__lte=models.F("total")),
                name="order_refunded_within_total",
            ),
            models.CheckConstraint(condition=Q(total__gte=0), name="order_total_not_negative"),
        ]
        indexes = [
            models.Index(fields=["workspace", "customer", "occurred_at"]),
            models.Index(fields=["workspace", "occurred_at"]),
        ]

    def __str__(self) -> str:
        return self.external_id


class OrderItem(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveIntegerField()
    sku = models.CharField(max_length=SKU_MAX_LENGTH)
    name = models.CharField(max_length=ITEM_NAME_MAX_LENGTH, blank=True, default="")
    category = models.CharField(max_length=CATEGORY_MAX_LENGTH, blank=True, default="")
    quantity = models.PositiveIntegerField()
    unit_price = money_field()
    refunded_quantity = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["order", "position"], name="order_item_position"),
            models.CheckConstraint(
                condition=Q(refunded_quantity__lte=models.F("quantity")),
                name="order_item_refund_within_quantity",
            ),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="order_item_quantity_min"),
        ]

    def __str__(self) -> str:
        return f"{self.sku} x{self.quantity}"


class Refund(TenantModel):
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="refunds")
    external_id = models.CharField(max_length=EXTERNAL_ID_MAX_LENGTH)
    amount = money_field()
    currency = models.CharField(max_length=3)
    reason = models.CharField(max_length=REFUND_REASON_MAX_LENGTH, blank=True, default="")
    occurred_at = models.DateTimeField()
    created_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "external_id"], name="refund_external_id_unique"
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="refund_amount_not_negative"),
        ]

    def __str__(self) -> str:
        return self.external_id


class RefundItem(models.Model):
    refund = models.ForeignKey(Refund, on_delete=models.CASCADE, related_name="items")
    order_item = models.ForeignKey(OrderItem, on_delete=models.PROTECT, related_name="+")
    sku = models.CharField(max_length=SKU_MAX_LENGTH)
    quantity = models.PositiveIntegerField()
    amount = money_field()

    def __str__(self) -> str:
        return f"{self.sku} x{self.quantity}"


class CustomerOrderStats(TenantModel):
    """A customer's paid orders, summed up, so that segments over order behaviour do not scan
    every order (ADR 0017). Kept up to date in the transaction of each order, status change
    and refund (`services/stats.py`); `manage.py rebuild_order_stats` recomputes it for data
    loaded in bulk. Money is in the workspace's default currency: orders in other currencies
    count in `orders_count` and the dates, not in the spend."""

    customer = models.OneToOneField(
        Customer, primary_key=True, on_delete=models.CASCADE, related_name="order_stats"
    )
    orders_count = models.PositiveIntegerField(default=0)
    first_order_at = models.DateTimeField(null=True, blank=True)
    last_order_at = models.DateTimeField(null=True, blank=True)
    # Paid orders in the workspace's default currency, and their total net of refunds.
    spend_orders_count = models.PositiveIntegerField(default=0)
    total_spent = money_field(default=Decimal(0))

    class Meta:
        indexes = [
            models.Index(fields=["workspace", "total_spent"]),
            models.Index(fields=["workspace", "last_order_at"]),
        ]

    def __str__(self) -> str:
        return f"order stats of {self.customer_id}"
