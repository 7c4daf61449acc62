using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Pipeliner.Server.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class RunListAndClaimIndexes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_Jobs_Ready",
                table: "Jobs");

            migrationBuilder.CreateIndex(
                name: "IX_Runs_ProjectId_Id",
                table: "Runs",
                columns: new[] { "ProjectId", "Id" });

            migrationBuilder.CreateIndex(
                name: "IX_Runs_ProjectId_Status_Id",
                table: "Runs",
                columns: new[] { "ProjectId", "Status", "Id" });

            migrationBuilder.CreateIndex(
                name: "IX_Jobs_Ready_RunId_Position",
                table: "Jobs",
                columns: new[] { "RunId", "Position" },
                filter: "\"Ready\"");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_Runs_ProjectId_Id",
                table: "Runs");

            migrationBuilder.DropIndex(
                name: "IX_Runs_ProjectId_Status_Id",
                table: "Runs");

            migrationBuilder.DropIndex(
                name: "IX_Jobs_Ready_RunId_Position",
                table: "Jobs");

            migrationBuilder.CreateIndex(
                name: "IX_Jobs_Ready",
                table: "Jobs",
                column: "Ready");
        }
    }
}
