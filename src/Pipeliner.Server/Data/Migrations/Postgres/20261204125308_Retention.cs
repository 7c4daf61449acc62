using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Pipeliner.Server.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class Retention : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<long>(
                name: "ArtifactsExpiredAt",
                table: "Runs",
                type: "bigint",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "ArtifactsExpiry",
                table: "Runs",
                type: "character varying(500)",
                maxLength: 500,
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "LogsExpiredAt",
                table: "Runs",
                type: "bigint",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "LogsExpiry",
                table: "Runs",
                type: "character varying(500)",
                maxLength: 500,
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "PinnedAt",
                table: "Runs",
                type: "bigint",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "PinnedBy",
                table: "Runs",
                type: "character varying(200)",
                maxLength: 200,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "RetentionJson",
                table: "Projects",
                type: "character varying(4000)",
                maxLength: 4000,
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "ArtifactsExpiredAt",
                table: "Runs");

            migrationBuilder.DropColumn(
                name: "ArtifactsExpiry",
                table: "Runs");

            migrationBuilder.DropColumn(
                name: "LogsExpiredAt",
                table: "Runs");

            migrationBuilder.DropColumn(
                name: "LogsExpiry",
                table: "Runs");

            migrationBuilder.DropColumn(
                name: "PinnedAt",
                table: "Runs");

            migrationBuilder.DropColumn(
                name: "PinnedBy",
                table: "Runs");

            migrationBuilder.DropColumn(
                name: "RetentionJson",
                table: "Projects");
        }
    }
}
