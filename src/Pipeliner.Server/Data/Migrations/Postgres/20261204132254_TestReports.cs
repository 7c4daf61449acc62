using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace Pipeliner.Server.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class TestReports : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "Reports",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    RunId = table.Column<long>(type: "bigint", nullable: false),
                    JobId = table.Column<string>(type: "text", nullable: false),
                    Attempt = table.Column<int>(type: "integer", nullable: false),
                    TestsTotal = table.Column<int>(type: "integer", nullable: true),
                    TestsFailed = table.Column<int>(type: "integer", nullable: true),
                    TestsErrored = table.Column<int>(type: "integer", nullable: true),
                    TestsSkipped = table.Column<int>(type: "integer", nullable: true),
                    TestsDurationMs = table.Column<long>(type: "bigint", nullable: true),
                    FindingErrors = table.Column<int>(type: "integer", nullable: true),
                    FindingWarnings = table.Column<int>(type: "integer", nullable: true),
                    FindingNotes = table.Column<int>(type: "integer", nullable: true),
                    Problems = table.Column<string>(type: "text", nullable: true),
                    CreatedAt = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Reports", x => x.Id);
                    table.ForeignKey(
                        name: "FK_Reports_Runs_RunId",
                        column: x => x.RunId,
                        principalTable: "Runs",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "ReportFailures",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    ReportId = table.Column<long>(type: "bigint", nullable: false),
                    Name = table.Column<string>(type: "text", nullable: false),
                    ClassName = table.Column<string>(type: "text", nullable: false),
                    Message = table.Column<string>(type: "text", nullable: false),
                    StackTrace = table.Column<string>(type: "text", nullable: false),
                    Errored = table.Column<bool>(type: "boolean", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ReportFailures", x => x.Id);
                    table.ForeignKey(
                        name: "FK_ReportFailures_Reports_ReportId",
                        column: x => x.ReportId,
                        principalTable: "Reports",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "ReportFindings",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    ReportId = table.Column<long>(type: "bigint", nullable: false),
                    Severity = table.Column<string>(type: "text", nullable: false),
                    Rule = table.Column<string>(type: "text", nullable: false),
                    Message = table.Column<string>(type: "text", nullable: false),
                    Path = table.Column<string>(type: "text", nullable: true),
                    Line = table.Column<int>(type: "integer", nullable: true),
                    Column = table.Column<int>(type: "integer", nullable: true),
                    Tool = table.Column<string>(type: "text", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ReportFindings", x => x.Id);
                    table.ForeignKey(
                        name: "FK_ReportFindings_Reports_ReportId",
                        column: x => x.ReportId,
                        principalTable: "Reports",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_ReportFailures_ReportId",
                table: "ReportFailures",
                column: "ReportId");

            migrationBuilder.CreateIndex(
                name: "IX_ReportFindings_ReportId",
                table: "ReportFindings",
                column: "ReportId");

            migrationBuilder.CreateIndex(
                name: "IX_Reports_RunId_JobId_Attempt",
                table: "Reports",
                columns: new[] { "RunId", "JobId", "Attempt" },
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "ReportFailures");

            migrationBuilder.DropTable(
                name: "ReportFindings");

            migrationBuilder.DropTable(
                name: "Reports");
        }
    }
}
