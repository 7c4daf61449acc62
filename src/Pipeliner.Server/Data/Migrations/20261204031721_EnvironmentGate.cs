using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Pipeliner.Server.Data.Migrations
{
    /// <inheritdoc />
    public partial class EnvironmentGate : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "HoldReason",
                table: "Jobs",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AlterColumn<string>(
                name: "DeployedBy",
                table: "Deployments",
                type: "TEXT",
                nullable: true,
                oldClrType: typeof(string),
                oldType: "TEXT");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "HoldReason",
                table: "Jobs");

            migrationBuilder.AlterColumn<string>(
                name: "DeployedBy",
                table: "Deployments",
                type: "TEXT",
                nullable: false,
                defaultValue: "",
                oldClrType: typeof(string),
                oldType: "TEXT",
                oldNullable: true);
        }
    }
}
