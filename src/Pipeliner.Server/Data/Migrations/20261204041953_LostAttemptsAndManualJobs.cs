using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Pipeliner.Server.Data.Migrations
{
    /// <inheritdoc />
    public partial class LostAttemptsAndManualJobs : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "LostCount",
                table: "Jobs");

            migrationBuilder.AddColumn<bool>(
                name: "ManualJobsAvailable",
                table: "Runs",
                type: "INTEGER",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<string>(
                name: "Cause",
                table: "Attempts",
                type: "TEXT",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "ManualJobsAvailable",
                table: "Runs");

            migrationBuilder.DropColumn(
                name: "Cause",
                table: "Attempts");

            migrationBuilder.AddColumn<int>(
                name: "LostCount",
                table: "Jobs",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);
        }
    }
}
