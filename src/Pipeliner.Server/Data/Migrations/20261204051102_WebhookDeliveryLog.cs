using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Pipeliner.Server.Data.Migrations
{
    /// <inheritdoc />
    public partial class WebhookDeliveryLog : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_WebhookDeliveries_ProjectId_DeliveryId",
                table: "WebhookDeliveries");

            migrationBuilder.RenameColumn(
                name: "Kind",
                table: "WebhookDeliveries",
                newName: "Event");

            migrationBuilder.AlterColumn<string>(
                name: "EventJson",
                table: "WebhookDeliveries",
                type: "TEXT",
                nullable: true,
                oldClrType: typeof(string),
                oldType: "TEXT");

            migrationBuilder.AlterColumn<string>(
                name: "DeliveryId",
                table: "WebhookDeliveries",
                type: "TEXT",
                nullable: true,
                oldClrType: typeof(string),
                oldType: "TEXT");

            migrationBuilder.AddColumn<int>(
                name: "Attempts",
                table: "WebhookDeliveries",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<string>(
                name: "Commit",
                table: "WebhookDeliveries",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "Count",
                table: "WebhookDeliveries",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<long>(
                name: "LeaseExpiresAt",
                table: "WebhookDeliveries",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "LeaseOwner",
                table: "WebhookDeliveries",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "NextAttemptAt",
                table: "WebhookDeliveries",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "RedeliveryOf",
                table: "WebhookDeliveries",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "Ref",
                table: "WebhookDeliveries",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "UniqueDeliveryId",
                table: "WebhookDeliveries",
                type: "TEXT",
                nullable: true);

            // The outcomes the deliveries API shows, and what it lists of each delivery, for the rows already there (SQLite:
            // this migration set is SQLite's; the event was stored with System.Text.Json's web names). Kept by hand: a
            // regenerated migration must keep this step.
            migrationBuilder.Sql("""
                UPDATE "WebhookDeliveries" SET "Count" = 1, "UniqueDeliveryId" = "DeliveryId",
                    "Ref" = json_extract("EventJson", '$.ref'), "Commit" = json_extract("EventJson", '$.commitSha');
                UPDATE "WebhookDeliveries" SET "Message" = 'the pipeline file is invalid: the run shows its errors' WHERE "Outcome" = 'invalid_pipeline';
                UPDATE "WebhookDeliveries" SET "Outcome" = CASE "Outcome"
                    WHEN 'run_created' THEN 'run' WHEN 'invalid_pipeline' THEN 'run' WHEN 'no_pipeline' THEN 'not_triggered'
                    ELSE "Outcome" END;
                """);

            migrationBuilder.CreateIndex(
                name: "IX_WebhookDeliveries_Outcome",
                table: "WebhookDeliveries",
                column: "Outcome");

            migrationBuilder.CreateIndex(
                name: "IX_WebhookDeliveries_ProjectId_Id",
                table: "WebhookDeliveries",
                columns: new[] { "ProjectId", "Id" });

            migrationBuilder.CreateIndex(
                name: "IX_WebhookDeliveries_ProjectId_UniqueDeliveryId",
                table: "WebhookDeliveries",
                columns: new[] { "ProjectId", "UniqueDeliveryId" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_WebhookDeliveries_RunId",
                table: "WebhookDeliveries",
                column: "RunId");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            // Rows the older schema cannot hold (refused deliveries, redeliveries) go; outcomes get their older names.
            migrationBuilder.Sql("""
                DELETE FROM "WebhookDeliveries" WHERE "UniqueDeliveryId" IS NULL OR "EventJson" IS NULL;
                UPDATE "WebhookDeliveries" SET "Outcome" = 'run_created' WHERE "Outcome" = 'run';
                UPDATE "WebhookDeliveries" SET "Outcome" = 'received' WHERE "Outcome" = 'retrying';
                """);

            migrationBuilder.DropIndex(
                name: "IX_WebhookDeliveries_Outcome",
                table: "WebhookDeliveries");

            migrationBuilder.DropIndex(
                name: "IX_WebhookDeliveries_ProjectId_Id",
                table: "WebhookDeliveries");

            migrationBuilder.DropIndex(
                name: "IX_WebhookDeliveries_ProjectId_UniqueDeliveryId",
                table: "WebhookDeliveries");

            migrationBuilder.DropIndex(
                name: "IX_WebhookDeliveries_RunId",
                table: "WebhookDeliveries");

            migrationBuilder.DropColumn(
                name: "Attempts",
                table: "WebhookDeliveries");

            migrationBuilder.DropColumn(
                name: "Commit",
                table: "WebhookDeliveries");

            migrationBuilder.DropColumn(
                name: "Count",
                table: "WebhookDeliveries");

            migrationBuilder.DropColumn(
                name: "LeaseExpiresAt",
                table: "WebhookDeliveries");

            migrationBuilder.DropColumn(
                name: "LeaseOwner",
                table: "WebhookDeliveries");

            migrationBuilder.DropColumn(
                name: "NextAttemptAt",
                table: "WebhookDeliveries");

            migrationBuilder.DropColumn(
                name: "RedeliveryOf",
                table: "WebhookDeliveries");

            migrationBuilder.DropColumn(
                name: "Ref",
                table: "WebhookDeliveries");

            migrationBuilder.DropColumn(
                name: "UniqueDeliveryId",
                table: "WebhookDeliveries");

            migrationBuilder.RenameColumn(
                name: "Event",
                table: "WebhookDeliveries",
                newName: "Kind");

            migrationBuilder.AlterColumn<string>(
                name: "EventJson",
                table: "WebhookDeliveries",
                type: "TEXT",
                nullable: false,
                defaultValue: "",
                oldClrType: typeof(string),
                oldType: "TEXT",
                oldNullable: true);

            migrationBuilder.AlterColumn<string>(
                name: "DeliveryId",
                table: "WebhookDeliveries",
                type: "TEXT",
                nullable: false,
                defaultValue: "",
                oldClrType: typeof(string),
                oldType: "TEXT",
                oldNullable: true);

            migrationBuilder.CreateIndex(
                name: "IX_WebhookDeliveries_ProjectId_DeliveryId",
                table: "WebhookDeliveries",
                columns: new[] { "ProjectId", "DeliveryId" },
                unique: true);
        }
    }
}
