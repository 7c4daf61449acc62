using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Pipeliner.Server.Data.Migrations
{
    /// <inheritdoc />
    public partial class RepositoryCredentials : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "CredentialsKind",
                table: "Projects",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "CredentialsProtected",
                table: "Projects",
                type: "TEXT",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "CredentialsKind",
                table: "Projects");

            migrationBuilder.DropColumn(
                name: "CredentialsProtected",
                table: "Projects");
        }
    }
}
